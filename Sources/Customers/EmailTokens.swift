import Essentials
import SQLKit
import Storage

/// The single-use links mailed to a user: issued with an expiry, consumed once, stored only as a digest.
enum EmailTokens {
    /// What a link does.
    enum Purpose: String {
        case verify
        case reset
    }

    /// A new token for the user; the clear token goes into the mail and nowhere else.
    static func issue(_ purpose: Purpose, userID: String, lifetimeSeconds: Int64, on sql: any SQLDatabase) async throws -> String {
        let token = SecretToken.make()
        // Links a day past their expiry are of no use to anyone: they go as new ones are made.
        try await sql.raw("DELETE FROM email_tokens WHERE expires_at < \(bind: Timestamp.nowMillis() - 24 * 3_600_000)").run()
        try await sql.raw(
            """
            INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at)
            VALUES (\(bind: SecretToken.digest(token)), \(bind: userID), \(bind: purpose.rawValue), \(bind: Timestamp.nowMillis() + lifetimeSeconds * 1000))
            """
        ).run()
        return token
    }

    /// Spends the token and returns its user; `badLink` when it is unknown, already used, expired or of another
    /// purpose. One conditional update: two clicks at once spend it once.
    static func consume(_ token: String, _ purpose: Purpose, on sql: any SQLDatabase) async throws -> String {
        let now = Timestamp.nowMillis()
        guard !token.containsNUL,
            let row = try await sql.raw(
                """
                UPDATE email_tokens SET used_at = \(bind: now)
                WHERE token_hash = \(bind: SecretToken.digest(token)) AND purpose = \(bind: purpose.rawValue)
                    AND used_at IS NULL AND expires_at > \(bind: now)
                RETURNING user_id
                """
            ).first()
        else { throw CustomerError.badLink }
        return try row.decode(column: "user_id", as: String.self)
    }
}
