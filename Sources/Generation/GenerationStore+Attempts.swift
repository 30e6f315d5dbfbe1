import Billing
import Providers
import SQLKit
import Storage

/// One attempt of a generation on one route, as the books keep it (`generation_attempts`).
package struct AttemptRecord: Sendable, Equatable {
    package let attempt: Int
    package let route: String
    package let provider: String
    package let upstreamRequestID: String?
    package let costPerImage: Int64
    package let startedAt: Int64
    package let endedAt: Int64?
    /// How it ended: the generation's final status for the last attempt, the error's code for one that failed over
    /// (`not_started`, `route_unusable`), `abandoned` for one a restart moved off before anything was sent; nil
    /// while it runs.
    package let outcome: String?
    package let reason: String?
    /// What the upstream bills for this attempt.
    package let upstreamCost: Int64
}

/// The attempts of a generation: begun before anything is sent to a route, closed when the generation fails over
/// (`failAttempt`) or ends (`closeAttempt`, in the settlement's transaction). Every write is under the run's lease.
extension GenerationStore {
    /// Records that the run's attempt on `attempt.route` begins, or goes on (its latest attempt is still open on that
    /// route: a restart resumes it). An open attempt on another route was moved off by a restart before anything
    /// was sent (the runner never calls the provider for a generation whose submit may have left), so it is closed
    /// as `abandoned`. The generation then names the route and its protocol.
    package func beginAttempt(_ attempt: RouteAttempt, id: String, owner: String, now: Int64) async throws {
        try await self.ownedUpdate(id: id, owner: owner) { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE generations SET provider = \(bind: attempt.provider), route = \(bind: attempt.route)
                    WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner) RETURNING id
                    """
                ).first()
            else { return nil }
            let latest = try await sql.raw(
                """
                SELECT attempt, route, ended_at FROM generation_attempts WHERE generation_id = \(bind: id)
                ORDER BY attempt DESC LIMIT 1
                """
            ).first()
            let number = try latest?.decode(column: "attempt", as: Int.self) ?? 0
            if let latest, try latest.decode(column: "ended_at", as: Int64?.self) == nil {
                if try latest.decode(column: "route", as: String.self) == attempt.route { return row }
                try await sql.raw(
                    """
                    UPDATE generation_attempts SET ended_at = \(bind: now), outcome = 'abandoned',
                        reason = 'a restart moved the generation to another route before anything was sent'
                    WHERE generation_id = \(bind: id) AND attempt = \(bind: number)
                    """
                ).run()
            }
            try await sql.raw(
                """
                INSERT INTO generation_attempts (generation_id, attempt, route, provider, cost_per_image_micros, started_at)
                VALUES (\(bind: id), \(bind: number + 1), \(bind: attempt.route), \(bind: attempt.provider),
                    \(bind: attempt.costPerImage), \(bind: now))
                """
            ).run()
            return row
        }
    }

    /// Closes the open attempt with an error that moves the generation to another route, and frees the generation
    /// to be submitted again elsewhere: its submit mark and handle belonged to the closed attempt. `cost` is what
    /// the upstream may bill for the closed attempt: nothing when it provably started no work, the whole request
    /// when a route that opted in is resent after an unknown outcome. It is added to the generation's upstream cost
    /// at once, so the loss stays on the books whatever happens next.
    package func failAttempt(id: String, owner: String, code: String, reason: String, cost: Int64 = 0, now: Int64) async throws {
        try await self.ownedUpdate(id: id, owner: owner) { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE generations SET upstream_submit_at = NULL, upstream_handle = NULL, upstream_request_id = NULL,
                        upstream_queue_position = NULL, upstream_cost_micros = upstream_cost_micros + \(bind: cost)
                    WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner) RETURNING id
                    """
                ).first()
            else { return nil }
            try await sql.raw(
                """
                UPDATE generation_attempts SET ended_at = \(bind: now), outcome = \(bind: code), reason = \(bind: reason),
                    upstream_cost_micros = \(bind: cost)
                WHERE generation_id = \(bind: id) AND ended_at IS NULL
                """
            ).run()
            return row
        }
    }

    /// Closes the open attempt as the generation ends, in the settlement's transaction: it carries the generation's
    /// upstream cost less what the attempts before it bill (nothing, unless one was resent after an unknown outcome).
    func closeAttempt(of record: GenerationRecord, now: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            UPDATE generation_attempts SET ended_at = \(bind: now), outcome = \(bind: record.errorCode ?? record.status.rawValue),
                reason = \(bind: record.errorMessage),
                upstream_cost_micros = \(bind: record.upstreamCost.micros) - COALESCE((
                    SELECT SUM(earlier.upstream_cost_micros) FROM generation_attempts earlier
                    WHERE earlier.generation_id = \(bind: record.id) AND earlier.ended_at IS NOT NULL
                ), 0)
            WHERE generation_id = \(bind: record.id) AND ended_at IS NULL
            """
        ).run()
    }

    /// The generation's attempts, first first; with `accountID`, only if the generation is that account's.
    package func attempts(of id: String, accountID: String? = nil) async throws -> [AttemptRecord] {
        try await self.database.read { sql in
            let owner: SQLQueryString = accountID.map { "AND g.account_id = \(bind: $0)" } ?? ""
            return try await sql.raw(
                """
                SELECT a.* FROM generation_attempts a JOIN generations g ON g.id = a.generation_id
                WHERE a.generation_id = \(bind: id) \(owner) ORDER BY a.attempt
                """
            ).all().map { row in
                AttemptRecord(
                    attempt: try row.decode(column: "attempt", as: Int.self),
                    route: try row.decode(column: "route", as: String.self),
                    provider: try row.decode(column: "provider", as: String.self),
                    upstreamRequestID: try row.decode(column: "upstream_request_id", as: String?.self),
                    costPerImage: try row.decode(column: "cost_per_image_micros", as: Int64.self),
                    startedAt: try row.decode(column: "started_at", as: Int64.self),
                    endedAt: try row.decode(column: "ended_at", as: Int64?.self),
                    outcome: try row.decode(column: "outcome", as: String?.self),
                    reason: try row.decode(column: "reason", as: String?.self),
                    upstreamCost: try row.decode(column: "upstream_cost_micros", as: Int64.self)
                )
            }
        }
    }
}
