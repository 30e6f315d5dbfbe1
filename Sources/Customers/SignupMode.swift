/// Who may create an account on the sign-up page (`--signup`).
package enum SignupMode: String, Sendable, CaseIterable {
    /// Anyone with an email address.
    case open
    /// Only with an invite code the operator created (`imagegate invites create`).
    case invite
    /// Nobody: the operator creates accounts (sign-in still works for people who have one).
    case closed
}
