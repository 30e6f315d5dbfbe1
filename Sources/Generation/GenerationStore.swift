import Billing
import Essentials
import Foundation
import Providers
import SQLKit
import Storage

/// SQL for the `generations` table. One code path for every dialect.
package struct GenerationStore: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    func insert(_ record: GenerationRecord, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO generations (id, account_id, api_key_id, model, mode, status, provider, request_json, num_images, seed,
                price_micros, upstream_cost_micros, hold_micros, charged_micros, refunded_micros, images_json, attempts, created_at)
            VALUES (\(bind: record.id), \(bind: record.accountID), \(bind: record.apiKeyID), \(bind: record.model), \(bind: record.mode.rawValue),
                \(bind: record.status.rawValue), \(bind: record.provider), \(bind: try Self.json(record.request)), \(bind: record.numImages),
                \(bind: record.seed), \(bind: record.pricePerImage.micros), \(bind: record.upstreamCost.micros), \(bind: record.hold.micros),
                0, 0, '[]', 0, \(bind: record.createdAt))
            """
        ).run()
    }

    /// One generation, as seen by its owner; nil when it does not exist or belongs to another account.
    package func get(id: String, accountID: String? = nil) async throws -> GenerationRecord? {
        guard !id.containsNUL else { return nil }
        return try await self.database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM generations WHERE id = \(bind: id)").first() else { return nil }
            let record = try Self.record(row)
            if let accountID, record.accountID != accountID { return nil }
            return record
        }
    }

    /// An account's generations, newest first, starting after the cursor id (ids sort by creation time).
    package func list(accountID: String, limit: Int, before cursor: String?) async throws -> [GenerationRecord] {
        try await self.database.read { sql in
            let rows =
                if let cursor {
                    try await sql.raw(
                        "SELECT * FROM generations WHERE account_id = \(bind: accountID) AND id < \(bind: cursor) ORDER BY id DESC LIMIT \(bind: limit)"
                    ).all()
                } else {
                    try await sql.raw("SELECT * FROM generations WHERE account_id = \(bind: accountID) ORDER BY id DESC LIMIT \(bind: limit)").all()
                }
            return try rows.map(Self.record)
        }
    }

    /// Extends the lease of the run `owner`. False when the lease is no longer its own (it expired and another run
    /// claimed the generation, or the generation ended): the run must stop without settling.
    package func renewLease(id: String, owner: String, until: Int64) async throws -> Bool {
        try await self.database.transaction(priority: .urgent) { sql in
            try await sql.raw(
                """
                UPDATE generations SET lease_until = \(bind: until)
                WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner)
                RETURNING id
                """
            ).first() != nil
        }
    }

    /// Gives the lease back at once (a run interrupted by shutdown), so the next run need not wait for it to expire,
    /// and says so to every replica: an idle worker elsewhere takes the generation now, not at the next sweep.
    package func releaseLease(id: String, owner: String) async throws {
        try await self.database.transaction { sql in
            let released = try await sql.raw(
                """
                UPDATE generations SET lease_until = 0
                WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner)
                RETURNING id
                """
            ).first()
            if released != nil { try await sql.announce(.workAvailable) }
        }
    }

    /// Counts a settlement the run `owner` could not write, and keeps the generation from every run, here and on
    /// other replicas, until `until`: its lease then runs out and the next claim, woken by the sweeper, tries again.
    package func deferAfterFailedSettlement(id: String, owner: String, until: Int64) async throws {
        try await self.ownedUpdate(id: id, owner: owner) { sql in
            try await sql.raw(
                """
                UPDATE generations SET settle_failures = settle_failures + 1, lease_until = \(bind: until)
                WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner) RETURNING id
                """
            ).first()
        }
    }

    /// Writes the end of a generation, only if it is still `processing` under `owner`'s lease, in the caller's
    /// transaction (`Settlement`). Returns false otherwise (another run took it over or ended it first), in which case
    /// the caller must not move money.
    func finish(_ record: GenerationRecord, owner: String, on sql: any SQLDatabase) async throws -> Bool {
        let row = try await sql.raw(
            """
            UPDATE generations SET status = \(bind: record.status.rawValue), seed = \(bind: record.seed),
                request_json = \(bind: try Self.json(record.request)), images_json = \(bind: try Self.json(record.images)),
                charged_micros = \(bind: record.charged.micros), refunded_micros = \(bind: record.refunded.micros),
                upstream_cost_micros = \(bind: record.upstreamCost.micros),
                error_code = \(bind: record.errorCode), error_message = \(bind: record.errorMessage),
                upstream_error_json = \(bind: record.upstreamError),
                completed_at = \(bind: record.completedAt), expires_at = \(bind: record.expiresAt), lease_until = NULL,
                upstream_queue_position = NULL
            WHERE id = \(bind: record.id) AND status = 'processing' AND lease_owner = \(bind: owner)
            RETURNING id
            """
        ).first()
        return row != nil
    }

    /// Writes the end of a generation that is still `queued` as `cancelled`, with the whole hold returned, in the
    /// caller's transaction (`Settlement`); the guard on `queued` makes it exclusive with a worker's claim. Nil when
    /// it was not queued (a run claimed it first, or it ended) or is not the account's, in which case nothing was
    /// written and the caller must not move money.
    func cancelQueued(id: String, accountID: String, now: Int64, on sql: any SQLDatabase) async throws -> GenerationRecord? {
        try await sql.raw(
            """
            UPDATE generations SET status = 'cancelled', refunded_micros = hold_micros, completed_at = \(bind: now),
                cancel_requested_at = \(bind: now), error_code = 'cancelled',
                error_message = 'Cancelled by its owner before it started; the whole hold was returned.'
            WHERE id = \(bind: id) AND account_id = \(bind: accountID) AND status = 'queued'
            RETURNING *
            """
        ).first().map(Self.record)
    }

    /// Marks a running generation as to be cancelled (once; the first request's time stays). False when it is not
    /// running (it is queued, ended, or not the account's).
    func requestCancel(id: String, accountID: String, now: Int64) async throws -> Bool {
        try await self.database.transaction(priority: .urgent) { sql in
            try await sql.raw(
                """
                UPDATE generations SET cancel_requested_at = COALESCE(cancel_requested_at, \(bind: now))
                WHERE id = \(bind: id) AND account_id = \(bind: accountID) AND status = 'processing'
                RETURNING id
                """
            ).first() != nil
        }
    }

    /// Whether the owner asked to cancel this generation (read by its run while it waits on the provider).
    package func isCancelRequested(id: String) async throws -> Bool {
        try await self.database.read { sql in
            try await sql.raw("SELECT cancel_requested_at FROM generations WHERE id = \(bind: id)").first()?
                .decode(column: "cancel_requested_at", as: Int64?.self) != nil
        }
    }

    /// Records, before a submit leaves, that it is about to: a run that finds this set and no handle knows the
    /// upstream may have the request, and never submits it again.
    package func markSubmitting(id: String, owner: String, at now: Int64) async throws {
        try await self.ownedUpdate(id: id, owner: owner) { sql in
            try await sql.raw(
                """
                UPDATE generations SET upstream_submit_at = \(bind: now)
                WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner) RETURNING id
                """
            ).first()
        }
    }

    /// Records the upstream request, so a restart follows it instead of submitting again. Urgent: the time between
    /// the upstream's answer and this commit is the window in which a crash loses the handle.
    package func setUpstream(_ handle: UpstreamHandle, for id: String, owner: String) async throws {
        try await self.ownedUpdate(id: id, owner: owner) { sql in
            let row = try await sql.raw(
                """
                UPDATE generations SET upstream_request_id = \(bind: handle.requestID), upstream_handle = \(bind: handle.data)
                WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner) RETURNING id
                """
            ).first()
            guard let row else { return nil }
            try await sql.raw(
                """
                UPDATE generation_attempts SET upstream_request_id = \(bind: handle.requestID)
                WHERE generation_id = \(bind: id) AND ended_at IS NULL
                """
            ).run()
            return row
        }
    }

    /// Runs one urgent update that must touch the run's own row; throws `LeaseLost` when it touched none.
    func ownedUpdate(id: String, owner: String, _ update: @escaping @Sendable (any SQLDatabase) async throws -> (any SQLRow)?) async throws {
        let touched = try await self.database.transaction(priority: .urgent) { sql in try await update(sql) != nil }
        guard touched else { throw LeaseLost(generationID: id) }
    }

    /// Saves where the run's upstream request waits in the upstream's queue (nil: it runs), for progress streams.
    /// Not urgent: nothing but progress depends on it, and a run that lost its lease writes nothing.
    package func setQueuePosition(_ position: Int?, id: String, owner: String) async throws {
        try await self.database.transaction { sql in
            try await sql.raw(
                """
                UPDATE generations SET upstream_queue_position = \(bind: position)
                WHERE id = \(bind: id) AND status = 'processing' AND lease_owner = \(bind: owner)
                """
            ).run()
        }
    }

    /// The shared queue as the sweeper sees it: how many generations are queued (on every replica), and whether
    /// some generation waits for a run that no worker took — a `processing` one whose lease ran out (its run died)
    /// or a `queued` one created before `queuedBefore` (every worker was busy when it came, or a claim failed on a
    /// database error).
    package func queueState(now: Int64, queuedBefore: Int64) async throws -> (queued: Int, unclaimed: Bool) {
        try await self.database.read { sql in
            let row = try await sql.raw(
                """
                SELECT (SELECT COUNT(*) FROM generations WHERE status = 'queued') AS queued,
                    CASE WHEN EXISTS (
                        SELECT 1 FROM generations
                        WHERE \(unsafeRaw: Self.unfinished)
                          AND ((status = 'processing' AND (lease_until IS NULL OR lease_until < \(bind: now)))
                            OR (status = 'queued' AND created_at < \(bind: queuedBefore)))
                    ) THEN 1 ELSE 0 END AS unclaimed
                """
            ).first()
            return (try row?.decode(column: "queued", as: Int.self) ?? 0, try row?.decode(column: "unclaimed", as: Int.self) == 1)
        }
    }

    /// A generation's status; nil when there is no such row.
    package func status(id: String) async throws -> GenerationStatus? {
        try await self.database.read { sql in
            try await sql.raw("SELECT status FROM generations WHERE id = \(bind: id)").first()
                .flatMap { GenerationStatus(rawValue: try $0.decode(column: "status", as: String.self)) }
        }
    }

    /// Ids of every generation that has not ended, oldest first.
    package func unfinishedIDs() async throws -> [String] {
        try await self.database.read { sql in
            try await sql.raw("SELECT id FROM generations WHERE status IN ('queued', 'processing') ORDER BY id").all()
                .map { try $0.decode(column: "id", as: String.self) }
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    package static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(type, from: Data(text.utf8))
    }

    static func record(_ row: any SQLRow) throws -> GenerationRecord {
        GenerationRecord(
            id: try row.decode(column: "id", as: String.self),
            accountID: try row.decode(column: "account_id", as: String.self),
            apiKeyID: try row.decode(column: "api_key_id", as: String?.self),
            model: try row.decode(column: "model", as: String.self),
            mode: GenerationMode(rawValue: try row.decode(column: "mode", as: String.self)) ?? .generate,
            status: GenerationStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            provider: try row.decode(column: "provider", as: String.self),
            request: try Self.decode(StoredRequest.self, try row.decode(column: "request_json", as: String.self)),
            numImages: try row.decode(column: "num_images", as: Int.self),
            seed: try row.decode(column: "seed", as: Int64.self),
            pricePerImage: MicroUSD(micros: try row.decode(column: "price_micros", as: Int64.self)),
            upstreamCost: MicroUSD(micros: try row.decode(column: "upstream_cost_micros", as: Int64.self)),
            hold: MicroUSD(micros: try row.decode(column: "hold_micros", as: Int64.self)),
            charged: MicroUSD(micros: try row.decode(column: "charged_micros", as: Int64.self)),
            refunded: MicroUSD(micros: try row.decode(column: "refunded_micros", as: Int64.self)),
            images: try Self.decode([OutputImage].self, try row.decode(column: "images_json", as: String.self)),
            errorCode: try row.decode(column: "error_code", as: String?.self),
            errorMessage: try row.decode(column: "error_message", as: String?.self),
            upstreamRequestID: try row.decode(column: "upstream_request_id", as: String?.self),
            upstreamHandle: try row.decode(column: "upstream_handle", as: String?.self),
            upstreamSubmitAt: try row.decode(column: "upstream_submit_at", as: Int64?.self),
            upstreamError: try row.decode(column: "upstream_error_json", as: String?.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            settleFailures: try row.decode(column: "settle_failures", as: Int.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            startedAt: try row.decode(column: "started_at", as: Int64?.self),
            completedAt: try row.decode(column: "completed_at", as: Int64?.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self),
            queuePosition: try row.decode(column: "upstream_queue_position", as: Int?.self),
            route: try row.decode(column: "route", as: String?.self)
        )
    }
}

/// A run tried to write to a generation whose lease it no longer holds.
struct LeaseLost: Error, Sendable {
    let generationID: String
}
