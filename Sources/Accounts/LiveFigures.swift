import SQLKit
import Storage

/// What the metrics show as it is now, read from the database when Prometheus scrapes: the queue, the money held
/// and the webhook backlog. Read at scrape, not kept by a sweep, so a figure never lags what an operator sees in
/// the database (a sweep's count once showed 390 queued with 175 there). Every replica reads the same shared
/// figures; alert on `max` of them. Each is one indexed or small-table query.
package struct LiveFigures: Sendable, Equatable {
    package var queued = 0
    /// `created_at` of the oldest queued generation, in milliseconds since 1970; nil when none is queued.
    package var oldestQueuedAt: Int64?
    /// `created_at` of the oldest generation not ended (its hold is outstanding).
    package var oldestUnfinishedAt: Int64?
    package var heldMicros: Int64 = 0
    package var balanceMicros: Int64 = 0
    package var webhookBacklog = 0
    /// `pending_since` of the oldest webhook event not yet delivered.
    package var oldestWebhookPendingSince: Int64?

    package init() {}

    package static func read(on database: any Database) async throws -> LiveFigures {
        try await database.read { sql in
            var figures = LiveFigures()
            if let row = try await sql.raw("SELECT count(*) AS n, min(created_at) AS oldest FROM generations WHERE status = 'queued'").first() {
                figures.queued = try row.decode(column: "n", as: Int.self)
                figures.oldestQueuedAt = try row.decode(column: "oldest", as: Int64?.self)
            }
            if let row = try await sql.raw(
                "SELECT min(created_at) AS oldest FROM generations WHERE status IN ('queued', 'processing')"
            ).first() {
                figures.oldestUnfinishedAt = try row.decode(column: "oldest", as: Int64?.self)
            }
            if let row = try await sql.raw(
                "SELECT CAST(coalesce(sum(held_micros), 0) AS BIGINT) AS held, CAST(coalesce(sum(balance_micros), 0) AS BIGINT) AS balance FROM accounts"
            ).first() {
                figures.heldMicros = try row.decode(column: "held", as: Int64.self)
                figures.balanceMicros = try row.decode(column: "balance", as: Int64.self)
            }
            if let row = try await sql.raw(
                "SELECT count(*) AS n, min(pending_since) AS oldest FROM webhook_deliveries WHERE state = 'pending'"
            ).first() {
                figures.webhookBacklog = try row.decode(column: "n", as: Int.self)
                figures.oldestWebhookPendingSince = try row.decode(column: "oldest", as: Int64?.self)
            }
            return figures
        }
    }
}
