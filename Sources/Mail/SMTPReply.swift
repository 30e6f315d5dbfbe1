import Foundation

/// One whole SMTP reply (RFC 5321 §4.2): a three-digit code and its lines of text, assembled from however many
/// `250-…` continuation lines the server sent.
package struct SMTPReply: Sendable, Equatable {
    package let code: Int
    /// Each line's text, after the code and its separator.
    package let lines: [String]

    package init(code: Int, lines: [String]) {
        self.code = code
        self.lines = lines
    }

    /// The lines as one text, for error messages.
    package var text: String { self.lines.joined(separator: " ").trimmingCharacters(in: .whitespaces) }
    /// 2xx: done.
    package var isPositiveCompletion: Bool { (200..<300).contains(self.code) }
    /// 3xx: go on (DATA's 354).
    package var isPositiveIntermediate: Bool { (300..<400).contains(self.code) }

    /// What an EHLO reply says the server supports: every line but the first (the server's greeting) is a keyword
    /// and its parameters (`STARTTLS`, `AUTH PLAIN LOGIN`, `8BITMIME`).
    package var capabilities: SMTPCapabilities { SMTPCapabilities(ehloLines: self.lines.dropFirst()) }

    /// The longest reply line accepted, with its CRLF: RFC 5321 allows 512; more room for chatty servers, yet a bound so
    /// a hostile server cannot fill memory with one endless line.
    static let maximumLineLength = 4096
    /// The most lines one reply may have, for the same reason.
    static let maximumLines = 200

    /// Takes one whole reply off the front of `bytes`, or nil (and leaves `bytes` alone) while it is incomplete.
    /// Lines end with CRLF; a bare LF is accepted, as mail clients commonly do.
    package static func parse(_ bytes: inout [UInt8]) throws -> SMTPReply? {
        var lines: [String] = []
        var code: Int?
        var start = 0
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            guard newline - start < Self.maximumLineLength, lines.count < Self.maximumLines else {
                throw MailError.protocolError.with("the server's reply is too long")
            }
            var line = bytes[start..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            start = newline + 1
            let (lineCode, isLast, text) = try Self.parseLine(Array(line))
            if let code, code != lineCode { throw MailError.protocolError.with("a multi-line reply changed its code from \(code) to \(lineCode)") }
            code = lineCode
            lines.append(text)
            if isLast {
                bytes.removeFirst(start)
                return SMTPReply(code: lineCode, lines: lines)
            }
        }
        if bytes.count - start >= Self.maximumLineLength { throw MailError.protocolError.with("the server's reply is too long") }
        return nil
    }

    /// `250-text` (more lines follow), `250 text` or `250` (the last line): the code, whether it is the last, the text.
    static func parseLine(_ line: [UInt8]) throws -> (code: Int, isLast: Bool, text: String) {
        let digits = line.prefix(3)
        guard digits.count == 3, digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let code = Int(String(decoding: digits, as: UTF8.self)), (200..<600).contains(code)
        else { throw MailError.protocolError.with("the server sent a line that is not an SMTP reply") }
        guard line.count > 3 else { return (code, true, "") }
        let separator = line[line.startIndex + 3]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: " ") else {
            throw MailError.protocolError.with("the server sent a line that is not an SMTP reply")
        }
        return (code, separator == UInt8(ascii: " "), String(decoding: line.dropFirst(4), as: UTF8.self))
    }
}
