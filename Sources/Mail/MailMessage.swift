/// One plain-text mail to one recipient: what the server's use cases (sign-up verification, password reset) hand to a
/// ``MailSender``; the sender adds the envelope, the headers and the encoding.
package struct MailMessage: Sendable, Equatable {
    /// The recipient's address, `user@example.com` (no display name: the server only mails an account's own address).
    package var to: String
    /// The subject line, any Unicode; non-ASCII is sent as an RFC 2047 encoded-word.
    package var subject: String
    /// The body, plain UTF-8 text; any line ending is sent as CRLF.
    package var text: String

    package init(to: String, subject: String, text: String) {
        self.to = to
        self.subject = subject
        self.text = text
    }
}
