import Foundation

/// Quoted-printable (RFC 2045 §6.7) for a UTF-8 text body: every line ending becomes CRLF, bytes outside printable
/// ASCII and `=` become `=XX`, a space or tab at the end of a line is encoded (transports strip trailing blanks), and
/// soft line breaks (`=` CRLF) keep every encoded line within 76 characters.
package enum QuotedPrintable {
    package static func encode(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return normalized.split(separator: "\n", omittingEmptySubsequences: false).map { Self.encodeLine(Array($0.utf8)) }
            .joined(separator: "\r\n")
    }

    /// One hard line, with soft breaks where it would pass 76 characters.
    static func encodeLine(_ bytes: [UInt8]) -> String {
        var output = ""
        var lineLength = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let literal =
                (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "="))
                || ((byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")) && !isLast)
            let piece = literal ? String(UnicodeScalar(byte)) : Self.escaped(byte)
            // Room for the piece plus the `=` of a soft break, unless this is the line's last piece.
            if lineLength + piece.count > (isLast ? 76 : 75) {
                output += "=\r\n"
                lineLength = 0
            }
            output += piece
            lineLength += piece.count
        }
        return output
    }

    static func escaped(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
    }
}
