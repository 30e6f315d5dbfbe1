import Crypto
import Essentials
import Foundation
import SQLKit
import Storage

/// A key as the operator sees it: never the secret, only a prefix to recognise it by.
package struct APIKeyInfo: Sendable, Codable, Equatable {
    package let id: String
    package let accountID: String
    package let prefix: String
    package var label: String
    package let createdAt: Int64
    package let lastUsedAt: Int64?
    package let revokedAt: Int64?
    /// USD per UTC day this key may spend (held or charged); nil: no limit.
    package var dailyLimit: MicroUSD? = nil
    /// Generations this key may run at once; nil: no limit.
    package var maxConcurrency: Int? = nil
    /// Generation requests per minute; nil: the server's default; 0: no limit.
    package var requestsPerMinute: Int? = nil
    /// Images per minute; nil: the server's default; 0: no limit.
    package var imagesPerMinute: Int? = nil
}

/// The identity a valid key proves.
package struct AuthenticatedKey: Sendable, Equatable {
    package let keyID: String
    package let accountID: String
    /// The key's own rate limits, read with the key (so that applying them costs no second read).
    package var rateLimits = KeyRateLimits()
    /// The operator disabled the key's account: the key is known, and refused (403).
    package var accountDisabled = false
}

/// Issues, checks and revokes API keys.
///
/// A key is `ig_` plus 43 base64url characters (256 random bits). Only its SHA-256 is stored; lookup is by that
/// hash, and the found hash is compared again in constant time. The secret is returned once, by `create`.
package struct APIKeyStore: Sendable {
    let database: any Database
    /// Characters of the key kept in clear, enough to tell keys apart in listings and to revoke by prefix.
    package static let prefixLength = 11
    /// How stale `last_used_at` may get before a request writes it again (keeps writes off the hot path).
    static let lastUsedResolutionMillis: Int64 = 60_000

    package init(database: any Database) {
        self.database = database
    }

    /// Creates a key for an account; the returned secret is never stored and cannot be shown again.
    package func create(
        accountID: String,
        label: String = "",
        dailyLimit: MicroUSD? = nil,
        maxConcurrency: Int? = nil,
        requestsPerMinute: Int? = nil,
        imagesPerMinute: Int? = nil
    ) async throws -> (info: APIKeyInfo, secret: String) {
        let secret = Self.newSecret()
        let info = APIKeyInfo(
            id: Identifier.make("key"),
            accountID: accountID,
            prefix: String(secret.prefix(Self.prefixLength)),
            label: label,
            createdAt: Timestamp.nowMillis(),
            lastUsedAt: nil,
            revokedAt: nil,
            dailyLimit: dailyLimit,
            maxConcurrency: maxConcurrency,
            requestsPerMinute: requestsPerMinute,
            imagesPerMinute: imagesPerMinute
        )
        try await self.database.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO api_keys (id, account_id, prefix, secret_hash, label, created_at, daily_limit_micros, max_concurrency,
                    requests_per_minute, images_per_minute)
                VALUES (\(bind: info.id), \(bind: info.accountID), \(bind: info.prefix), \(bind: Self.hash(secret)), \(bind: label), \(bind: info.createdAt),
                    \(bind: dailyLimit?.micros), \(bind: maxConcurrency), \(bind: requestsPerMinute), \(bind: imagesPerMinute))
                """
            ).run()
        }
        return (info, secret)
    }

    /// Returns the key's identity, or nil for an unknown or revoked key.
    package func authenticate(secret: String) async throws -> AuthenticatedKey? {
        guard secret.hasPrefix("ig_"), secret.count < 200 else { return nil }
        let digest = Self.hash(secret)
        let row = try await self.database.read { sql in
            try await sql.raw(
                """
                SELECT k.id, k.account_id, k.secret_hash, k.last_used_at, k.revoked_at, k.requests_per_minute, k.images_per_minute,
                    a.disabled_at
                FROM api_keys k JOIN accounts a ON a.id = k.account_id WHERE k.secret_hash = \(bind: digest)
                """
            ).first()
        }
        guard let row else { return nil }
        let stored = try row.decode(column: "secret_hash", as: String.self)
        guard ConstantTime.equal(Array(stored.utf8), Array(digest.utf8)),
            try row.decode(column: "revoked_at", as: Int64?.self) == nil
        else { return nil }
        let key = AuthenticatedKey(
            keyID: try row.decode(column: "id", as: String.self),
            accountID: try row.decode(column: "account_id", as: String.self),
            rateLimits: KeyRateLimits(
                requestsPerMinute: try row.decode(column: "requests_per_minute", as: Int?.self),
                imagesPerMinute: try row.decode(column: "images_per_minute", as: Int?.self)
            ),
            accountDisabled: try row.decode(column: "disabled_at", as: Int64?.self) != nil
        )
        let lastUsed = try row.decode(column: "last_used_at", as: Int64?.self) ?? 0
        let now = Timestamp.nowMillis()
        if now - lastUsed > Self.lastUsedResolutionMillis {
            // A stamp, not the request's purpose: a database that cannot write now (a full disk) must not turn a
            // read into a failure. The next request a minute on stamps it again.
            try? await self.database.transaction { sql in
                try await sql.raw("UPDATE api_keys SET last_used_at = \(bind: now) WHERE id = \(bind: key.keyID)").run()
            }
        }
        return key
    }

    /// Revokes every live key whose prefix starts with `prefix` (at least 6 characters, so one typo cannot revoke
    /// many keys). Returns the revoked keys.
    package func revoke(prefix: String) async throws -> [APIKeyInfo] {
        guard prefix.count >= 6 else { return [] }
        let now = Timestamp.nowMillis()
        return try await self.database.transaction { sql in
            let keys = try await Self.liveKeys(prefix: prefix, on: sql)
            for key in keys {
                try await sql.raw("UPDATE api_keys SET revoked_at = \(bind: now) WHERE id = \(bind: key.id)").run()
            }
            return keys
        }
    }

    /// Revokes one live key of the account by its id (the account page's "Revoke"); nil when the account has no
    /// such live key.
    package func revoke(id: String, accountID: String) async throws -> APIKeyInfo? {
        try await self.database.transaction { sql in
            try await sql.raw(
                """
                UPDATE api_keys SET revoked_at = \(bind: Timestamp.nowMillis())
                WHERE id = \(bind: id) AND account_id = \(bind: accountID) AND revoked_at IS NULL
                RETURNING *
                """
            ).first().map(Self.info)
        }
    }

    /// Relabels one live key of the account, or changes its daily limit (the account page's "Edit"). For each: nil
    /// leaves it as it is; a `dailyLimit` of `.some(nil)` removes the limit. Nil when the account has no such live key.
    package func update(id: String, accountID: String, label: String?, dailyLimit: MicroUSD??) async throws -> APIKeyInfo? {
        try await self.database.transaction { sql in
            guard
                let row = try await sql.raw(
                    "SELECT * FROM api_keys WHERE id = \(bind: id) AND account_id = \(bind: accountID) AND revoked_at IS NULL\(sql.forUpdate)"
                ).first()
            else { return nil }
            var key = try Self.info(row)
            if let label { key.label = label }
            if let dailyLimit { key.dailyLimit = dailyLimit }
            try await sql.raw(
                "UPDATE api_keys SET label = \(bind: key.label), daily_limit_micros = \(bind: key.dailyLimit?.micros) WHERE id = \(bind: key.id)"
            ).run()
            return key
        }
    }

    /// What `setRateLimits` found.
    package enum RateLimitUpdate: Sendable, Equatable {
        case updated(APIKeyInfo)
        case notFound
        /// Several live keys start with the prefix: nothing was changed.
        case ambiguous([APIKeyInfo])
    }

    /// Changes the rate limits of the one live key whose prefix starts with `prefix`. For each limit: nil leaves it
    /// as it is, `.some(nil)` gives it back to the server's default, `.some(n)` sets it (0: no limit).
    package func setRateLimits(prefix: String, requestsPerMinute: Int??, imagesPerMinute: Int??) async throws -> RateLimitUpdate {
        guard prefix.count >= 6 else { return .notFound }
        return try await self.database.transaction { sql in
            let keys = try await Self.liveKeys(prefix: prefix, on: sql)
            guard keys.count == 1, var key = keys.first else { return keys.isEmpty ? .notFound : .ambiguous(keys) }
            if let requestsPerMinute { key.requestsPerMinute = requestsPerMinute }
            if let imagesPerMinute { key.imagesPerMinute = imagesPerMinute }
            try await sql.raw(
                """
                UPDATE api_keys SET requests_per_minute = \(bind: key.requestsPerMinute), images_per_minute = \(bind: key.imagesPerMinute)
                WHERE id = \(bind: key.id)
                """
            ).run()
            return .updated(key)
        }
    }

    /// Keys of one account, or of every account when `accountID` is nil.
    package func list(accountID: String? = nil) async throws -> [APIKeyInfo] {
        try await self.database.read { sql in
            let rows =
                if let accountID {
                    try await sql.raw("SELECT * FROM api_keys WHERE account_id = \(bind: accountID) ORDER BY created_at").all()
                } else {
                    try await sql.raw("SELECT * FROM api_keys ORDER BY created_at").all()
                }
            return try rows.map(Self.info)
        }
    }

    /// The live keys whose prefix starts with `prefix` (taken literally: `%` and `_` match only themselves).
    static func liveKeys(prefix: String, on sql: any SQLDatabase) async throws -> [APIKeyInfo] {
        guard !prefix.containsNUL else { return [] }
        return try await sql.raw("SELECT * FROM api_keys WHERE revoked_at IS NULL AND prefix LIKE \(bind: Self.likePattern(prefix)) ESCAPE '\\'")
            .all().map(Self.info)
    }

    static func info(_ row: any SQLRow) throws -> APIKeyInfo {
        APIKeyInfo(
            id: try row.decode(column: "id", as: String.self),
            accountID: try row.decode(column: "account_id", as: String.self),
            prefix: try row.decode(column: "prefix", as: String.self),
            label: try row.decode(column: "label", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            lastUsedAt: try row.decode(column: "last_used_at", as: Int64?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Int64?.self),
            dailyLimit: try row.decode(column: "daily_limit_micros", as: Int64?.self).map(MicroUSD.init(micros:)),
            maxConcurrency: try row.decode(column: "max_concurrency", as: Int?.self),
            requestsPerMinute: try row.decode(column: "requests_per_minute", as: Int?.self),
            imagesPerMinute: try row.decode(column: "images_per_minute", as: Int?.self)
        )
    }

    static func newSecret() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }  // SystemRandomNumberGenerator: the OS CSPRNG
        let encoded = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "ig_" + encoded
    }

    static func hash(_ secret: String) -> String {
        Hex.string(SHA256.hash(data: Array(secret.utf8)))
    }

    static func likePattern(_ prefix: String) -> String {
        prefix.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            + "%"
    }
}
