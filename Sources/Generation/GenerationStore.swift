import Billing
import Foundation
import Providers
import SQLKit
import Storage

/// SQL for the `generations` table. One code path for every dialect.
public struct GenerationStore: Sendable {
    let database: any Database

    public init(database: any Database) {
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
    public func get(id: String, accountID: String? = nil) async throws -> GenerationRecord? {
        try await self.database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM generations WHERE id = \(bind: id)").first() else { return nil }
            let record = try Self.record(row)
            if let accountID, record.accountID != accountID { return nil }
            return record
        }
    }

    /// An account's generations, newest first, starting after the cursor id (ids sort by creation time).
    public func list(accountID: String, limit: Int, before cursor: String?) async throws -> [GenerationRecord] {
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

    /// Moves a queued (or abandoned processing) generation to `processing` for this worker, with a lease.
    /// Returns nil when it is already final.
    func claim(id: String, now: Int64, leaseMillis: Int64) async throws -> GenerationRecord? {
        try await self.database.transaction { sql in
            let row = try await sql.raw(
                """
                UPDATE generations SET status = 'processing', started_at = COALESCE(started_at, \(bind: now)),
                    attempts = attempts + 1, lease_until = \(bind: now + leaseMillis)
                WHERE id = \(bind: id) AND status IN ('queued', 'processing')
                RETURNING *
                """
            ).first()
            return try row.map(Self.record)
        }
    }

    /// Writes the end of a generation, only if it is still `processing`. Returns false when another run ended
    /// it first, in which case the caller must not move money.
    func finish(_ record: GenerationRecord, on sql: any SQLDatabase) async throws -> Bool {
        let row = try await sql.raw(
            """
            UPDATE generations SET status = \(bind: record.status.rawValue), seed = \(bind: record.seed),
                request_json = \(bind: try Self.json(record.request)), images_json = \(bind: try Self.json(record.images)),
                charged_micros = \(bind: record.charged.micros), refunded_micros = \(bind: record.refunded.micros),
                upstream_cost_micros = \(bind: record.upstreamCost.micros),
                error_code = \(bind: record.errorCode), error_message = \(bind: record.errorMessage),
                upstream_error_json = \(bind: record.upstreamError),
                completed_at = \(bind: record.completedAt), expires_at = \(bind: record.expiresAt), lease_until = NULL
            WHERE id = \(bind: record.id) AND status = 'processing'
            RETURNING id
            """
        ).first()
        return row != nil
    }

    /// Records the upstream request, so a restart follows it instead of submitting again.
    func setUpstream(_ handle: UpstreamHandle, for id: String) async throws {
        try await self.database.transaction { sql in
            try await sql.raw(
                "UPDATE generations SET upstream_request_id = \(bind: handle.requestID), upstream_handle = \(bind: handle.data) WHERE id = \(bind: id)"
            ).run()
        }
    }

    /// Ids of `processing` generations whose lease has run out.
    func expiredLeaseIDs(now: Int64) async throws -> [String] {
        try await self.database.read { sql in
            try await sql.raw("SELECT id FROM generations WHERE status = 'processing' AND lease_until < \(bind: now) ORDER BY id").all()
                .map { try $0.decode(column: "id", as: String.self) }
        }
    }

    /// Ids of every generation that has not ended, oldest first.
    func unfinishedIDs() async throws -> [String] {
        try await self.database.read { sql in
            try await sql.raw("SELECT id FROM generations WHERE status IN ('queued', 'processing') ORDER BY id").all()
                .map { try $0.decode(column: "id", as: String.self) }
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
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
            upstreamError: try row.decode(column: "upstream_error_json", as: String?.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            startedAt: try row.decode(column: "started_at", as: Int64?.self),
            completedAt: try row.decode(column: "completed_at", as: Int64?.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64?.self)
        )
    }
}
