import Mail

/// What this module's mails say (verification, password reset): plain text to one address, handed to the
/// `MailSender` the bootstrap chose.
extension MailMessage {
    static func verification(to email: String, link: String, hours: Int) -> MailMessage {
        MailMessage(
            to: email,
            subject: "Verify your email for ImageGate",
            text: """
                Someone (we hope you) created an ImageGate account with this email.

                Verify it by opening this link within \(hours) hours:
                \(link)

                Until it is verified, the account cannot create API keys or add credit.
                If it was not you, ignore this mail: nothing happens without the link.
                """
        )
    }

    static func reset(to email: String, link: String, minutes: Int) -> MailMessage {
        MailMessage(
            to: email,
            subject: "Reset your ImageGate password",
            text: """
                Someone (we hope you) asked to reset the password of the ImageGate account with this email.

                Choose a new password by opening this link within \(minutes) minutes:
                \(link)

                Setting it signs out every session of the account.
                If it was not you, ignore this mail: your password stays as it is.
                """
        )
    }
}
