import SQLKit
import Storage

/// Claims: how a run takes a generation under a lease. The shared queue is the `generations` table.
extension GenerationStore {
    /// Which `processing` rows a claim may take over besides `queued` ones.
    package enum Takeover: Sendable {
        /// Those whose lease ran out before `now` on this replica's clock, or was given back.
        case expiredBefore(Int64)
        /// Only leases given back (or never set): a replica whose clock disagrees with the database's by more than
        /// the tolerated skew must not judge whether another replica's lease ran out (`ClockSkewWatch`).
        case givenBackOnly
    }

    /// Moves a generation to `processing` under a lease held by `owner`: a `queued` one, or a `processing` one whose
    /// lease has run out (its run died). Returns nil when it is final or another run holds a live lease on it.
    package func claim(id: String, owner: String, now: Int64, leaseMillis: Int64, takeover: Takeover? = nil) async throws -> GenerationRecord? {
        try await self.claim(owner: owner, now: now, leaseMillis: leaseMillis, takeover: takeover ?? .expiredBefore(now)) { _ in "\(bind: id)" }
    }

    /// Claims the oldest generation nobody runs (queued, or whose run's lease ran out), for an idle worker of any
    /// replica: the shared queue is this table. On PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`, so workers
    /// claiming at once on several replicas each take a different row without waiting for each other. Nil when
    /// there is nothing to claim.
    package func claimNext(owner: String, now: Int64, leaseMillis: Int64, takeover: Takeover? = nil) async throws -> GenerationRecord? {
        let takeover = takeover ?? .expiredBefore(now)
        return try await self.claim(owner: owner, now: now, leaseMillis: leaseMillis, takeover: takeover) { sql in
            """
            (SELECT id FROM generations WHERE \(Self.claimable(takeover))
             ORDER BY created_at, id LIMIT 1\(sql.forUpdateSkipLocked))
            """
        }
    }

    /// The rows a run may claim: queued, or processing under a lease that ran out (or was given back). Within
    /// `unfinished`, so the pick reads the `generations_unfinished` index in claim order.
    private static func claimable(_ takeover: Takeover) -> SQLQueryString {
        switch takeover {
        case .expiredBefore(let now):
            "(\(unsafeRaw: Self.unfinished) AND (status = 'queued' OR (status = 'processing' AND (lease_until IS NULL OR lease_until < \(bind: now)))))"
        case .givenBackOnly:
            "(\(unsafeRaw: Self.unfinished) AND (status = 'queued' OR (status = 'processing' AND (lease_until IS NULL OR lease_until = 0))))"
        }
    }

    /// The generations not yet ended: the predicate of PostgreSQL's `generations_unfinished` index, repeated in the
    /// queries that should read it so the planner need not prove it from their other terms.
    package static let unfinished = "status IN ('queued', 'processing')"

    /// The one claim statement both ways share: the guard is repeated on the row itself, so a generation that
    /// stopped being claimable between the pick and the update (another run, a cancel) is never claimed.
    private func claim(
        owner: String,
        now: Int64,
        leaseMillis: Int64,
        takeover: Takeover,
        pick: @escaping @Sendable (any SQLDatabase) -> SQLQueryString
    ) async throws -> GenerationRecord? {
        try await self.database.transaction(priority: .urgent) { sql in
            let row = try await sql.raw(
                """
                UPDATE generations SET status = 'processing', started_at = COALESCE(started_at, \(bind: now)),
                    attempts = attempts + 1, lease_until = \(bind: now + leaseMillis), lease_owner = \(bind: owner)
                WHERE id = \(pick(sql)) AND \(Self.claimable(takeover))
                RETURNING *
                """
            ).first()
            return try row.map(Self.record)
        }
    }

    /// The database's own clock (Unix milliseconds), against which replicas check theirs; nil on SQLite, where the
    /// one process's clock is the only one.
    package func databaseNowMillis() async throws -> Int64? {
        guard self.database.dialect == .postgres else { return nil }
        return try await self.database.read { sql in
            try await sql.raw("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now").first()?
                .decode(column: "now", as: Int64.self)
        }
    }
}
