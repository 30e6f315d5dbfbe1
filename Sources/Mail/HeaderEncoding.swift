import Foundation

/// Header values that may hold any Unicode, written so that a 7-bit header survives: plain ASCII as it is, anything
/// else as RFC 2047 encoded-words (`=?UTF-8?B?…?=`), folded onto continuation lines to stay within 78 characters.
enum HeaderEncoding {
    /// An unstructured value (the subject). `headerName` counts towards the first line's length.
    static func text(_ value: String, headerName: String) -> String {
        if Self.isPlain(value) && value.utf8.count + headerName.count + 2 <= 78 { return value }
        return Self.encodedWords(value)
    }

    /// A display name: bare when it is only letters, digits and spaces, a quoted string when it holds other ASCII
    /// (a comma or a dot would otherwise change how the address parses), encoded-words when it is not ASCII.
    static func phrase(_ name: String) -> String {
        guard Self.isPlain(name) else { return Self.encodedWords(name) }
        if name.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == " " }) { return name }
        return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Printable ASCII and spaces only.
    static func isPlain(_ value: String) -> Bool {
        value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
    }

    /// Base64 encoded-words of at most 75 characters each (RFC 2047 §2), split between characters (never inside one
    /// UTF-8 sequence, which a decoder would turn into replacement characters), joined by CRLF and a space (folding).
    static func encodedWords(_ value: String) -> String {
        let prefix = "=?UTF-8?B?"
        let suffix = "?="
        // 75 - 12 characters of framing leaves 63 of base64, i.e. 45 bytes of UTF-8 (rounded down to a multiple of 3).
        let maximumBytes = 45
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in value {
            let bytes = Array(String(character).utf8)
            if !chunk.isEmpty && chunk.count + bytes.count > maximumBytes {
                words.append(prefix + Base64.encode(chunk) + suffix)
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append(prefix + Base64.encode(chunk) + suffix) }
        return words.joined(separator: "\r\n ")
    }
}
