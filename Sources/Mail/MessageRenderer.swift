import Foundation

/// Writes a ``MailMessage`` as the RFC 5322 text sent after DATA: the headers (From, To, Subject as an RFC 2047
/// encoded-word when it is not plain ASCII, Date, Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding)
/// and a quoted-printable UTF-8 body, CRLF throughout.
///
/// Quoted-printable rather than 8bit so that any server takes the body unchanged, whether it announces 8BITMIME or
/// not, and no line exceeds SMTP's 998 characters however long a paragraph is.
package struct MessageRenderer: Sendable {
    package let from: MailAddress
    /// When the message is written (the `Date:` header).
    package var date: Date
    /// The part of the Message-ID before `@` (a fresh UUID unless a test fixes it).
    package var messageIDLocalPart: String

    package init(from: MailAddress, date: Date = Date(), messageIDLocalPart: String = UUID().uuidString.lowercased()) {
        self.from = from
        self.date = date
        self.messageIDLocalPart = messageIDLocalPart
    }

    /// The message's text, headers and body, lines ending in CRLF; not yet dot-stuffed (``DataTransfer`` does that).
    /// Throws ``MailError/invalidAddress`` for a bad recipient and ``MailError/invalidHeader`` for a subject with CR or
    /// LF: a header value with a line break would let the caller add headers (Bcc, a second body) of its own.
    package func render(_ message: MailMessage) throws -> String {
        let to = try MailAddress(parsing: message.to)
        guard to.displayName == nil else { throw MailError.invalidAddress.with("the recipient is a bare address, without a name") }
        guard !message.subject.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) else {
            throw MailError.invalidHeader.with("the subject holds a line break")
        }
        let headers = [
            "From: " + self.fromHeader,
            "To: " + to.address,
            "Subject: " + HeaderEncoding.text(message.subject, headerName: "Subject"),
            "Date: " + Self.rfc5322Date(self.date),
            "Message-ID: <\(self.messageIDLocalPart)@\(self.from.domain)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + QuotedPrintable.encode(message.text)
    }

    /// `Name <address>`, the name as an encoded-word or a quoted string where it needs one, or the bare address.
    var fromHeader: String {
        guard let name = self.from.displayName else { return self.from.address }
        return "\(HeaderEncoding.phrase(name)) <\(self.from.address)>"
    }

    /// `Mon, 07 Dec 2026 12:39:52 +0000` (RFC 5322 §3.3), always in UTC and English whatever the machine's locale.
    static func rfc5322Date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }
}
