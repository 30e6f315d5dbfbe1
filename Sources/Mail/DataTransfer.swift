/// The bytes sent after DATA's 354 (RFC 5321 §4.5.2): the message with a second `.` before every line that starts
/// with one (so that no line of the message reads as the end), then the `.` line that ends it.
package enum DataTransfer {
    /// `message` (CRLF line endings) dot-stuffed and terminated with CRLF `.` CRLF.
    package static func payload(_ message: String) -> String {
        let stuffed = message.split(separator: "\r\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix(".") ? "." + $0 : String($0) }
            .joined(separator: "\r\n")
        return stuffed + (stuffed.hasSuffix("\r\n") ? "" : "\r\n") + ".\r\n"
    }
}
