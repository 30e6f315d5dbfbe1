import Foundation

/// A run of text in a Markdown block: plain, or a `code span`. Templates escape both.
struct InlineSpan: Sendable {
    let text: String
    let isCode: Bool

    /// Splits on backticks (odd runs are code) and drops `**` emphasis, which the pages do not style.
    static func parse(_ text: String) -> [InlineSpan] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().compactMap { index, part in
            let text = index % 2 == 1 ? String(part) : part.replacingOccurrences(of: "**", with: "")
            return text.isEmpty ? nil : InlineSpan(text: text, isCode: index % 2 == 1)
        }
    }
}

/// Spans with their own context, so a template can repeat them inside a paragraph, a cell or a list item.
struct InlineText: Sendable {
    let spans: [InlineSpan]
}

/// A fenced code block's text.
struct CodeText: Sendable {
    let text: String
}

/// A pipe table: its heading row and body rows.
struct MarkdownTable: Sendable {
    let header: [InlineText]
    let rows: [MarkdownRow]
}

/// One body row of a table.
struct MarkdownRow: Sendable {
    let cells: [InlineText]
}

/// A bulleted list.
struct MarkdownList: Sendable {
    let items: [InlineText]
}

/// One block of the small Markdown the OpenAPI document's descriptions are written in: exactly one member is set.
/// Rendered by the `markdown` partial; nothing in it is ever HTML, so a description cannot inject markup.
struct MarkdownBlock: Sendable {
    var paragraph: InlineText?
    var code: CodeText?
    var table: MarkdownTable?
    var list: MarkdownList?

    /// Paragraphs (lines joined until a blank line), fenced code, pipe tables and `-` lists; nothing else is needed.
    static func parse(_ text: String) -> [MarkdownBlock] {
        var blocks: [MarkdownBlock] = []
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)[...]
        while let line = lines.first {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                lines.removeFirst()
            } else if trimmed.hasPrefix("```") {
                lines.removeFirst()
                let body = lines.prefix { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("```") }
                lines.removeFirst(min(lines.count, body.count + 1))
                blocks.append(MarkdownBlock(code: CodeText(text: body.joined(separator: "\n"))))
            } else if trimmed.hasPrefix("|") {
                let rows = lines.prefix { $0.trimmingCharacters(in: .whitespaces).hasPrefix("|") }
                lines.removeFirst(rows.count)
                blocks.append(MarkdownBlock(table: Self.table(Array(rows))))
            } else if trimmed.hasPrefix("- ") {
                var items: [String] = []
                while let next = lines.first, !next.trimmingCharacters(in: .whitespaces).isEmpty {
                    let item = next.trimmingCharacters(in: .whitespaces)
                    if item.hasPrefix("- ") { items.append(String(item.dropFirst(2))) } else { items[items.count - 1] += " " + item }
                    lines.removeFirst()
                }
                blocks.append(MarkdownBlock(list: MarkdownList(items: items.map { InlineText(spans: InlineSpan.parse($0)) })))
            } else {
                let body = lines.prefix { line in
                    let next = line.trimmingCharacters(in: .whitespaces)
                    return !next.isEmpty && !next.hasPrefix("```") && !next.hasPrefix("|") && !next.hasPrefix("- ")
                }
                lines.removeFirst(body.count)
                let joined = body.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
                blocks.append(MarkdownBlock(paragraph: InlineText(spans: InlineSpan.parse(joined))))
            }
        }
        return blocks
    }

    static func table(_ lines: [String]) -> MarkdownTable {
        let cells = lines.map { line -> [InlineText] in
            var row = line.trimmingCharacters(in: .whitespaces)
            if row.hasPrefix("|") { row.removeFirst() }
            if row.hasSuffix("|") { row.removeLast() }
            return row.split(separator: "|", omittingEmptySubsequences: false).map {
                InlineText(spans: InlineSpan.parse($0.trimmingCharacters(in: .whitespaces)))
            }
        }
        // The second line is the alignment row (`|---|---|`).
        let body = cells.dropFirst().filter { row in !row.allSatisfy { $0.spans.allSatisfy { $0.text.allSatisfy { "-: ".contains($0) } } } }
        return MarkdownTable(header: cells.first ?? [], rows: body.map(MarkdownRow.init))
    }
}
