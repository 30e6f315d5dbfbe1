import Accounts
import Customers
import Essentials
import Hummingbird

/// The operator's view of self-service accounts: the people who signed up, and the invite codes of
/// `--signup invite`.
extension AdminController {
    /// A user as the admin API shows them.
    struct UserBody: Encodable {
        let id: String
        let email: String
        let account: String
        let accountId: String
        let verifiedAt: String?
        let createdAt: String
        let disabled: Bool
        /// Why the operator should look at the account's card payments (its newest flagged order), if anything.
        let paymentFlag: String?

        init(_ user: UserSummary, paymentFlag: String?) {
            self.id = user.id
            self.email = user.email
            self.account = user.accountName
            self.accountId = user.accountID
            self.verifiedAt = user.verifiedAt.map(Timestamp.iso8601)
            self.createdAt = Timestamp.iso8601(user.createdAt)
            self.disabled = user.accountDisabled
            self.paymentFlag = paymentFlag
        }
    }

    /// An invite as the admin API shows it; the code only in the answer that created it.
    struct InviteBody: Encodable {
        let prefix: String
        let note: String
        let createdAt: String
        let expiresAt: String
        let usedBy: String?
        let code: Omittable<String>

        init(_ invite: Invite, code: String? = nil) {
            self.prefix = invite.prefix
            self.note = invite.note
            self.createdAt = Timestamp.iso8601(invite.createdAt)
            self.expiresAt = Timestamp.iso8601(invite.expiresAt)
            self.usedBy = invite.usedBy
            self.code = Omittable(code)
        }
    }

    struct CreateInvite: Decodable {
        let note: String?
    }

    @Sendable func users(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let flags = try await self.operations.paymentFlags()
        return try JSONResponse.make(List(data: try await self.customers.users().map { UserBody($0, paymentFlag: flags[$0.accountID]) }))
    }

    @Sendable func invites(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try JSONResponse.make(List(data: try await self.customers.invites().map { InviteBody($0) }))
    }

    /// A new invite code, shown once.
    @Sendable func createInvite(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let body = try await Self.decode(CreateInvite.self, request, context)
        let (code, invite) = try await self.customers.createInvite(note: try Self.text(body.note, param: "note") ?? "")
        return try JSONResponse.make(InviteBody(invite, code: code), status: .created)
    }
}
