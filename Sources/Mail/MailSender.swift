/// Something that delivers a ``MailMessage``: ``SMTPMailer`` in the server; the use cases that send sign-up and
/// password-reset mails depend only on this, so they need not know how mail leaves.
package protocol MailSender: Sendable {
    /// Hands `message` to the mail system; returns once it has taken responsibility for it (the SMTP server's 250 after
    /// the data), throws a ``MailError`` otherwise.
    func send(_ message: MailMessage) async throws
}
