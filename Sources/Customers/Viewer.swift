/// The person a session cookie belongs to, as the pages and the account routes need them.
package struct Viewer: Sendable, Equatable {
    package let userID: String
    package let email: String
    package let accountID: String
    /// The email was verified: until then, no keys and no payments.
    package let verified: Bool
    /// The operator disabled the account.
    package let accountDisabled: Bool
}

/// A user as the operator lists them.
package struct UserSummary: Sendable, Equatable, Codable {
    package let id: String
    package let email: String
    package let accountID: String
    package let accountName: String
    package let verifiedAt: Int64?
    package let createdAt: Int64
    package let accountDisabled: Bool
}

/// An invite code as the operator lists it (the code itself is shown once, when created).
package struct Invite: Sendable, Equatable, Codable {
    package let prefix: String
    package let note: String
    package let createdAt: Int64
    package let expiresAt: Int64
    package let usedBy: String?
}
