import Foundation
import SQLKit
import Storage

/// Per-key protections, checked inside the submit transaction so that concurrent requests see each other:
/// a daily spend limit (`dailyLimitExceeded`) and a limit on generations running at once
/// (`concurrencyLimitExceeded`). Both refuse before the hold, so nothing is ever partly charged. The same check also
/// runs before any costly work (fetching reference images), so a request the key cannot afford does none.
package enum KeyLimits {
    /// The values a key's concurrency limit may take (stored in a 32-bit column on every engine).
    package static let settableConcurrency = 1...1_000_000

    package static func check(keyID: String, adding hold: MicroUSD, now: Int64, on sql: any SQLDatabase) async throws {
        // Locks the key's row: two requests with one key take turns here, so both cannot count the same running
        // generations and both pass a limit that only one of them fits in.
        guard
            let key = try await sql.raw("SELECT daily_limit_micros, max_concurrency FROM api_keys WHERE id = \(bind: keyID)\(sql.forUpdate)").first()
        else {
            return
        }
        if let maxConcurrency = try key.decode(column: "max_concurrency", as: Int?.self) {
            let running =
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM generations WHERE api_key_id = \(bind: keyID) AND status IN ('queued', 'processing')"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            if running >= maxConcurrency {
                throw BillingError.concurrencyLimitExceeded(max: maxConcurrency)
            }
        }
        if let limit = try key.decode(column: "daily_limit_micros", as: Int64?.self) {
            let dayStart = now - now % 86_400_000
            // Held or charged today; refunds and releases do not count.
            let spent =
                try await sql.raw(
                    """
                    SELECT CAST(COALESCE(SUM(hold_micros - refunded_micros), 0) AS BIGINT) AS spent FROM generations
                    WHERE api_key_id = \(bind: keyID) AND created_at >= \(bind: dayStart)
                    """
                ).first()?.decode(column: "spent", as: Int64.self) ?? 0
            if spent + hold.micros > limit {
                throw BillingError.dailyLimitExceeded(
                    limit: MicroUSD(micros: limit),
                    spent: MicroUSD(micros: spent),
                    retryAfterSeconds: Int((dayStart + 86_400_000 - now) / 1000)
                )
            }
        }
    }
}
