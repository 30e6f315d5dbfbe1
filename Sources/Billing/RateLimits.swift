import Foundation
import SQLKit
import Storage

/// What a rate limit allows and how much of it is left, as the `RateLimit-*` response headers tell it.
package struct RateLimitStatus: Sendable, Equatable {
    /// The limit's quota: requests or images per minute.
    package let limit: Int
    /// Whole units that may be used now.
    package let remaining: Int
    /// Seconds until the bucket is full again.
    package let resetSeconds: Int

    package init(limit: Int, remaining: Int, resetSeconds: Int) {
        self.limit = limit
        self.remaining = remaining
        self.resetSeconds = resetSeconds
    }

    /// The status that is nearer to its limit, of two (the one the headers should show).
    package func tighter(than other: RateLimitStatus?) -> RateLimitStatus {
        guard let other else { return self }
        return self.remaining * other.limit <= other.remaining * self.limit ? self : other
    }
}

/// A key's own rate limits, as stored with it; nil: the server's default applies; 0: no limit.
package struct KeyRateLimits: Sendable, Equatable {
    package var requestsPerMinute: Int?
    package var imagesPerMinute: Int?

    package init(requestsPerMinute: Int? = nil, imagesPerMinute: Int? = nil) {
        self.requestsPerMinute = requestsPerMinute
        self.imagesPerMinute = imagesPerMinute
    }
}

/// One per-key rate limit: what it counts and how many per minute.
package struct RateLimit: Sendable, Equatable {
    /// What a limit counts.
    package enum Kind: String, Sendable {
        case requests
        case images
    }

    package let kind: Kind
    package let perMinute: Int

    /// What an operator may set as a per-minute limit (0: none).
    package static let settableRange = 0...1_000_000

    package init(kind: Kind, perMinute: Int) {
        self.kind = kind
        self.perMinute = perMinute
    }

    /// A token bucket holds a minute's quota and refills continuously. Its level is kept in units of 1/60,000 of a
    /// token, so a bucket of `perMinute` tokens refills by exactly `perMinute` units per millisecond: integer
    /// arithmetic, no rounding drift between replicas.
    static let unitsPerToken: Int64 = 60_000

    var capacity: Int64 { Int64(self.perMinute) * Self.unitsPerToken }

    /// The level at `now` of a bucket last left at `level` at `updatedAt`.
    func refilled(level: Int64, updatedAt: Int64, now: Int64) -> Int64 {
        min(self.capacity, level + max(0, now - updatedAt) * Int64(self.perMinute))
    }

    func status(level: Int64) -> RateLimitStatus {
        let missing = self.capacity - level
        return RateLimitStatus(
            limit: self.perMinute,
            remaining: Int(level / Self.unitsPerToken),
            resetSeconds: Int((missing / Int64(self.perMinute) + 999) / 1000)
        )
    }

    /// Seconds until `cost` tokens are in a bucket at `level` (at least 1: a refusal never says "now").
    func secondsUntil(cost: Int, level: Int64) -> Int {
        let missing = Int64(cost) * Self.unitsPerToken - level
        return max(1, Int((missing / Int64(self.perMinute) + 999) / 1000))
    }

    /// Throws `exceedsRateLimit` when `cost` is more than a whole minute's quota: no wait could ever let it pass.
    func requireAttainable(_ cost: Int) throws {
        guard cost <= self.perMinute else { throw BillingError.exceedsRateLimit(limit: self.perMinute, kind: self.kind, cost: cost) }
    }

    /// The refusal of `cost` tokens from a bucket at `level`.
    func refusal(cost: Int, level: Int64) -> BillingError {
        .rateLimited(self.status(level: level), kind: self.kind, retryAfterSeconds: self.secondsUntil(cost: cost, level: level))
    }
}

/// Token buckets per API key, kept in the database so every replica counts against the same bucket: a take is one
/// guarded `UPDATE` (refill, check and spend in a single statement), exact under any concurrency on either engine.
package enum RateLimits {
    /// The limits that apply to a key: its own, or the server's defaults where it has none (0 turns a limit off).
    package static func limits(own: KeyRateLimits, defaults: [RateLimit.Kind: Int]) -> [RateLimit] {
        [(RateLimit.Kind.requests, own.requestsPerMinute), (.images, own.imagesPerMinute)].compactMap { kind, perMinute in
            let perMinute = perMinute ?? defaults[kind] ?? 0
            return perMinute > 0 ? RateLimit(kind: kind, perMinute: perMinute) : nil
        }
    }

    /// The key's own limits, read from the books.
    package static func own(keyID: String, on sql: any SQLDatabase) async throws -> KeyRateLimits {
        let row = try await sql.raw("SELECT requests_per_minute, images_per_minute FROM api_keys WHERE id = \(bind: keyID)").first()
        return KeyRateLimits(
            requestsPerMinute: try row?.decode(column: "requests_per_minute", as: Int?.self),
            imagesPerMinute: try row?.decode(column: "images_per_minute", as: Int?.self)
        )
    }

    /// Takes `cost` tokens from the key's bucket, or throws `rateLimited` (nothing taken). Returns what is left.
    package static func take(_ cost: Int, of limit: RateLimit, keyID: String, now: Int64, on sql: any SQLDatabase) async throws -> RateLimitStatus {
        try limit.requireAttainable(cost)
        let kind = limit.kind.rawValue
        try await sql.raw(
            """
            INSERT INTO rate_buckets (api_key_id, kind, level, updated_at) VALUES (\(bind: keyID), \(bind: kind), \(bind: limit.capacity), \(bind: now))
            ON CONFLICT (api_key_id, kind) DO NOTHING
            """
        ).run()
        let spend = Int64(cost) * RateLimit.unitsPerToken
        // The refilled level, capped at the capacity; a clock behind the row's (another replica's) refills nothing.
        let gained: SQLQueryString =
            "(CASE WHEN \(bind: now) > updated_at THEN \(bind: now) - updated_at ELSE 0 END) * \(bind: Int64(limit.perMinute))"
        let refilled: SQLQueryString =
            "(CASE WHEN level + \(gained) > \(bind: limit.capacity) THEN \(bind: limit.capacity) ELSE level + \(gained) END)"
        let taken = try await sql.raw(
            """
            UPDATE rate_buckets SET level = \(refilled) - \(bind: spend),
                updated_at = CASE WHEN \(bind: now) > updated_at THEN \(bind: now) ELSE updated_at END
            WHERE api_key_id = \(bind: keyID) AND kind = \(bind: kind) AND \(refilled) >= \(bind: spend)
            RETURNING level
            """
        ).first()
        if let taken { return limit.status(level: try taken.decode(column: "level", as: Int64.self)) }
        throw limit.refusal(cost: cost, level: try await Self.level(of: limit, keyID: keyID, now: now, on: sql))
    }

    /// Throws `rateLimited` if `cost` tokens are not in the bucket now, without taking any (a cheap check before
    /// costly work; `take` decides).
    package static func check(_ cost: Int, of limit: RateLimit, keyID: String, now: Int64, on sql: any SQLDatabase) async throws {
        try limit.requireAttainable(cost)
        let level = try await Self.level(of: limit, keyID: keyID, now: now, on: sql)
        if level < Int64(cost) * RateLimit.unitsPerToken { throw limit.refusal(cost: cost, level: level) }
    }

    static func level(of limit: RateLimit, keyID: String, now: Int64, on sql: any SQLDatabase) async throws -> Int64 {
        guard
            let row = try await sql.raw(
                "SELECT level, updated_at FROM rate_buckets WHERE api_key_id = \(bind: keyID) AND kind = \(bind: limit.kind.rawValue)"
            ).first()
        else { return limit.capacity }
        return limit.refilled(
            level: try row.decode(column: "level", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Int64.self),
            now: now
        )
    }
}
