import Crypto
import Foundation
import SQLKit
import Storage

/// An account's webhook signing secret (`whsec_` + base64 of 32 random bytes, as Standard Webhooks writes them), and
/// the one it replaced while that one still signs.
package struct WebhookSecret: Sendable, Equatable {
    package let current: String
    /// The secret before the last rotation; every delivery is signed with it too until `previousUntil`.
    package let previous: String?
    package let previousUntil: Int64?

    /// The secrets a delivery made at `now` is signed with: the current one, and the previous one during its overlap.
    func signing(at now: Int64) -> [String] {
        if let previous, let until = self.previousUntil, now < until { return [self.current, previous] }
        return [self.current]
    }
}

/// Each account's webhook secret: made on first use, shown to the account's own keys, rotated on request with an
/// overlap during which both the old and the new secret sign.
package struct WebhookSecrets: Sendable {
    let database: any Database
    /// How long a replaced secret keeps signing after a rotation, so receivers can switch without losing events.
    package static let overlapMillis: Int64 = 24 * 3600 * 1000

    package init(database: any Database) {
        self.database = database
    }

    /// The account's secret, made now if it has none. Read first: every `GET /v1/account` asks, and a read must not
    /// become a write (which a full disk would refuse) once the secret exists.
    package func secret(accountID: String, now: Int64) async throws -> WebhookSecret {
        let existing = try await self.database.read { sql in
            try await sql.raw("SELECT * FROM webhook_secrets WHERE account_id = \(bind: accountID)").first().map(Self.secret)
        }
        if let existing { return existing }
        return try await self.database.transaction { sql in try await Self.secret(accountID: accountID, now: now, on: sql) }
    }

    /// Replaces the account's secret with a new one; the replaced one keeps signing for `overlapMillis`.
    package func rotate(accountID: String, now: Int64) async throws -> WebhookSecret {
        try await self.database.transaction { sql in
            _ = try await Self.secret(accountID: accountID, now: now, on: sql)
            let updated = try await sql.raw(
                """
                UPDATE webhook_secrets SET previous_secret = secret, previous_until = \(bind: now + Self.overlapMillis),
                    secret = \(bind: Self.newSecret())
                WHERE account_id = \(bind: accountID)
                RETURNING *
                """
            ).first()
            guard let updated else { throw MissingWebhookSecret(accountID: accountID) }
            return try Self.secret(updated)
        }
    }

    static func secret(accountID: String, now: Int64, on sql: any SQLDatabase) async throws -> WebhookSecret {
        // Two first uses at once both insert; the second does nothing and both read the first one's secret.
        try await sql.raw(
            """
            INSERT INTO webhook_secrets (account_id, secret, created_at) VALUES (\(bind: accountID), \(bind: Self.newSecret()), \(bind: now))
            ON CONFLICT (account_id) DO NOTHING
            """
        ).run()
        guard let row = try await sql.raw("SELECT * FROM webhook_secrets WHERE account_id = \(bind: accountID)").first() else {
            throw MissingWebhookSecret(accountID: accountID)
        }
        return try Self.secret(row)
    }

    static func secret(_ row: any SQLRow) throws -> WebhookSecret {
        WebhookSecret(
            current: try row.decode(column: "secret", as: String.self),
            previous: try row.decode(column: "previous_secret", as: String?.self),
            previousUntil: try row.decode(column: "previous_until", as: Int64?.self)
        )
    }

    static func newSecret() -> String {
        "whsec_" + Data(SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }).base64EncodedString()
    }
}

/// Standard Webhooks signatures (standardwebhooks.com): `v1,` + base64 of HMAC-SHA256, keyed by the secret's bytes
/// (the base64 after `whsec_`), of `webhook-id.webhook-timestamp.body`. Several secrets give several signatures,
/// space separated, any of which verifies.
enum WebhookSignature {
    static func header(id: String, timestamp: Int64, body: [UInt8], secrets: [String]) -> String {
        secrets.compactMap { Self.sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }

    static func sign(id: String, timestamp: Int64, body: [UInt8], secret: String) -> String? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let key = Data(base64Encoded: encoded) else { return nil }
        var message = Array("\(id).\(timestamp).".utf8)
        message.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// The secret just written could not be read back (the account does not exist).
struct MissingWebhookSecret: Error {
    let accountID: String
}
