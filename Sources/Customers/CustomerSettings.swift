import Billing

/// The operator's choices for self-service accounts.
package struct CustomerSettings: Sendable {
    /// Who may sign up (`--signup`).
    package var signup: SignupMode
    /// Credit a new user gets when their email is verified (`--signup-credit-usd`; default none).
    package var startingCredit: MicroUSD
    /// Where the mailed links point (`--public-url`).
    package var publicURL: String
    /// How long a session lasts after sign-in.
    package var sessionSeconds: Int64 = 30 * 24 * 3600
    /// How long a verification link works.
    package var verificationSeconds: Int64 = 48 * 3600
    /// How long a password-reset link works.
    package var resetSeconds: Int64 = 3600
    /// How long an invite code works.
    package var inviteSeconds: Int64 = 14 * 24 * 3600

    package init(signup: SignupMode, startingCredit: MicroUSD = .zero, publicURL: String) {
        self.signup = signup
        self.startingCredit = startingCredit
        self.publicURL = publicURL
    }
}
