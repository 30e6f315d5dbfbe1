/// A mail this module sends (verification, password reset): plain text to one address. The bootstrap hands it to
/// the SMTP sender; this module only says what it says.
package struct Letter: Sendable, Equatable {
    package let to: String
    package let subject: String
    package let text: String

    package init(to: String, subject: String, text: String) {
        self.to = to
        self.subject = subject
        self.text = text
    }

    static func verification(to email: String, link: String, hours: Int) -> Letter {
        Letter(
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

    static func reset(to email: String, link: String, minutes: Int) -> Letter {
        Letter(
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
