/// Why a sign-up, sign-in or account-link request was refused. Values with static members, so the front doors map
/// meaning rather than text; `field` names the form field (or parameter) at fault, when there is one.
package struct CustomerError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Code: Sendable, Hashable {
        private let value: String
        private init(_ value: String) { self.value = value }
        package var rawValue: String { self.value }

        /// A field is missing or malformed (an email that is not one, a password too short or too long).
        package static let invalid = Code("invalid_parameter")
        /// Unknown email or wrong password: the same answer for both, so it tells nobody which emails exist.
        package static let badCredentials = Code("invalid_credentials")
        /// The address already has an account (sign-up only; a reset or a sign-in never says so).
        package static let emailTaken = Code("email_taken")
        /// `--signup closed`, or `invite` without a valid unused code.
        package static let signupClosed = Code("signup_closed")
        package static let badInvite = Code("invalid_invite")
        /// A verification or reset link that is unknown, used or expired.
        package static let badLink = Code("invalid_link")
        /// Too many attempts for this address or this email: wait `retryAfter` seconds.
        package static let tooMany = Code("too_many_attempts")
        /// The email is not verified yet: keys and payments wait for it.
        package static let unverified = Code("email_not_verified")
        /// The operator disabled the account.
        package static let disabled = Code("account_disabled")
        /// The mail could not be handed to the SMTP server.
        package static let mailFailed = Code("mail_failed")
    }

    package let code: Code
    package let field: String?
    package let message: String
    /// For `tooMany`: seconds until another attempt is counted.
    package var retryAfter: Int?

    package init(_ code: Code, field: String? = nil, _ message: String, retryAfter: Int? = nil) {
        self.code = code
        self.field = field
        self.message = message
        self.retryAfter = retryAfter
    }

    package var description: String { "\(self.code.rawValue): \(self.message)" }

    /// The one answer for an unknown email and for a wrong password.
    package static let badCredentials = CustomerError(.badCredentials, "The email or the password is wrong.")
    package static let badLink = CustomerError(
        .badLink,
        "This link is not valid any more: it was used already, it expired, or it was mistyped. Ask for a new one."
    )
    package static let unverified = CustomerError(
        .unverified,
        "Verify your email first: follow the link we mailed you (the account page can send it again)."
    )
}
