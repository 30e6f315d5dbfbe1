import Foundation

/// A `multipart/form-data` body split into its parts, enough for the OpenAI emulator's `/images/edits` (fields and
/// files, no nesting).
struct FormParts {
    /// One part: its field name, its file name when it is a file, and its bytes.
    struct Part {
        let name: String
        let filename: String?
        let bytes: [UInt8]
        var text: String { String(decoding: self.bytes, as: UTF8.self) }
    }

    let parts: [Part]

    /// nil when the body is not multipart with that boundary.
    init?(_ body: [UInt8], contentType: String) {
        guard let range = contentType.range(of: "boundary=") else { return nil }
        let boundary = Array("--\(contentType[range.upperBound...].trimmingCharacters(in: ["\""]))".utf8)
        var parts: [Part] = []
        var chunks = Self.split(body, on: boundary)
        chunks.removeFirst()  // the preamble
        for chunk in chunks {
            // `--` after the boundary ends the body.
            if chunk.starts(with: Array("--".utf8)) { break }
            guard let end = Self.find(Array("\r\n\r\n".utf8), in: chunk) else { return nil }
            let head = String(decoding: chunk[..<end], as: UTF8.self)
            var content = Array(chunk[(end + 4)...])
            if content.suffix(2) == [13, 10] { content.removeLast(2) }
            guard let name = Self.attribute("name", in: head) else { continue }
            parts.append(Part(name: name, filename: Self.attribute("filename", in: head), bytes: content))
        }
        self.parts = parts
    }

    func field(_ name: String) -> String? { self.parts.first { $0.name == name && $0.filename == nil }?.text }

    static func attribute(_ key: String, in head: String) -> String? {
        guard let start = head.range(of: " \(key)=\"") ?? head.range(of: ";\(key)=\"") else { return nil }
        guard let end = head[start.upperBound...].firstIndex(of: "\"") else { return nil }
        return String(head[start.upperBound..<end])
    }

    static func split(_ bytes: [UInt8], on separator: [UInt8]) -> [[UInt8]] {
        var chunks: [[UInt8]] = []
        var start = 0
        var index = 0
        while index + separator.count <= bytes.count {
            if bytes[index] == separator[0], Array(bytes[index..<(index + separator.count)]) == separator {
                chunks.append(Array(bytes[start..<index]))
                index += separator.count
                start = index
            } else {
                index += 1
            }
        }
        chunks.append(Array(bytes[start...]))
        return chunks
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        for index in 0...(bytes.count - needle.count) where Array(bytes[index..<(index + needle.count)]) == needle { return index }
        return nil
    }
}
