import Essentials
import SQLKit
import Storage

extension Customers {
    /// A new invite code for `--signup invite`: shown this once; only its digest is kept.
    package func createInvite(note: String) async throws -> (code: String, invite: Invite) {
        let code = "inv_" + SecretToken.make().prefix(24)
        let now = Timestamp.nowMillis()
        let invite = Invite(
            prefix: String(code.prefix(10)),
            note: note,
            createdAt: now,
            expiresAt: now + self.settings.inviteSeconds * 1000,
            usedBy: nil
        )
        try await self.database.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO invites (code_hash, prefix, note, created_at, expires_at)
                VALUES (\(bind: SecretToken.digest(code)), \(bind: invite.prefix), \(bind: note), \(bind: now), \(bind: invite.expiresAt))
                """
            ).run()
        }
        return (code, invite)
    }

    /// Every invite, newest first, with the email that used it.
    package func invites() async throws -> [Invite] {
        try await self.database.read { sql in
            try await sql.raw(
                "SELECT i.*, u.email FROM invites i LEFT JOIN users u ON u.id = i.used_by ORDER BY i.created_at DESC"
            ).all().map {
                Invite(
                    prefix: try $0.decode(column: "prefix", as: String.self),
                    note: try $0.decode(column: "note", as: String.self),
                    createdAt: try $0.decode(column: "created_at", as: Int64.self),
                    expiresAt: try $0.decode(column: "expires_at", as: Int64.self),
                    usedBy: try $0.decode(column: "email", as: String?.self)
                )
            }
        }
    }

    /// Every user with their account, newest first.
    package func users() async throws -> [UserSummary] {
        try await self.database.read { sql in
            try await sql.raw(
                """
                SELECT u.id, u.email, u.account_id, u.verified_at, u.created_at, a.name, a.disabled_at
                FROM users u JOIN accounts a ON a.id = u.account_id ORDER BY u.created_at DESC
                """
            ).all().map {
                UserSummary(
                    id: try $0.decode(column: "id", as: String.self),
                    email: try $0.decode(column: "email", as: String.self),
                    accountID: try $0.decode(column: "account_id", as: String.self),
                    accountName: try $0.decode(column: "name", as: String.self),
                    verifiedAt: try $0.decode(column: "verified_at", as: Int64?.self),
                    createdAt: try $0.decode(column: "created_at", as: Int64.self),
                    accountDisabled: try $0.decode(column: "disabled_at", as: Int64?.self) != nil
                )
            }
        }
    }

    /// Spends an invite code for a sign-up, in its transaction: one conditional update, so a code serves one person.
    static func spendInvite(_ code: String, userID: String, now: Int64, on sql: any SQLDatabase) async throws {
        let spent = try await sql.raw(
            """
            UPDATE invites SET used_by = \(bind: userID), used_at = \(bind: now)
            WHERE code_hash = \(bind: SecretToken.digest(code)) AND used_by IS NULL AND expires_at > \(bind: now)
            RETURNING prefix
            """
        ).first()
        guard spent != nil else {
            throw CustomerError(.badInvite, field: "invite", "This invite code is not valid: it was used already, it expired, or it was mistyped.")
        }
    }
}
