import AsyncHTTPClient
import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import ImageGateApp
import Logging
import NIOCore
import Providers
import Storage
import Webhooks

@testable import Generation
@testable import JobEngine

/// What the hot-path benchmarks run against: the real use cases over a fresh SQLite database in a temporary directory,
/// migrated to the app's schema, with one funded account. Nothing upstream runs: the benchmarks measure ImageGate's
/// own work (validation, the hold's and the settlement's transactions, encoding, signing), not a supplier.
struct HotPathFixture: Sendable {
    let directory: String
    let database: any Database
    let engine: EngineDependencies
    let service: GenerationService
    let accountID: String
    let logger: Logger
    /// A generation held, claimed and settled by `completeOne()`, for the benchmarks that read one.
    private(set) var completed: GenerationRecord?

    /// The completed generation, or an error when the benchmark's setup completed none.
    var completedRecord: GenerationRecord {
        get throws {
            guard let completed else { throw FixtureError(message: "this benchmark's setup completed no generation") }
            return completed
        }
    }

    /// The body of the product page's quickstart request: what the validator and the hold see most.
    static let quickstartBody = Array(#"{"model":"seedream-5-lite","prompt":"a lighthouse at dusk, oil painting","num_images":1}"#.utf8)

    static func make() async throws -> HotPathFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imagegate-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "imagegate-benchmarks")
        logger.logLevel = .error
        let database = try await SQLiteDatabase.open(path: "\(directory)/db.sqlite", logger: logger)
        try await ImageGateSchema.migrations.run(on: database)
        // Enough credit for every iteration: a refused hold would measure the refusal, not the hold.
        let account = try await AccountStore(database: database).create(name: "bench", credit: MicroUSD(micros: 1_000_000_000_000))
        let blobs = FileBlobStore(root: "\(directory)/blobs")
        let engine = EngineDependencies(
            catalog: try ModelCatalog.bundled(),
            database: database,
            blobs: blobs,
            provider: LocalProvider(),
            references: ReferenceLoader(allowPrivateAddresses: false),
            mirror: OutputMirror(blobs: blobs, httpClient: .shared, maxBytes: 1 << 20, timeout: .seconds(2)),
            settings: GenerationSettings(retentionMillis: 7 * 24 * 3_600_000),
            webhookBell: WebhookBell()
        )
        return HotPathFixture(
            directory: directory,
            database: database,
            engine: engine,
            service: GenerationService(engine.generation),
            accountID: account.id,
            logger: logger,
            completed: nil
        )
    }

    /// Validates the quickstart body and holds for it: one queued generation, as `POST /v1/generate` leaves it.
    func submit() async throws -> GenerationRecord {
        let (parameters, model) = try self.service.validator.validate(body: Self.quickstartBody)
        return try await self.service.submit(parameters, model: model, accountID: self.accountID, apiKeyID: nil, logger: self.logger).record
    }

    /// Claims a queued generation for a run, as a worker does before it calls the supplier.
    func claim(_ record: GenerationRecord, owner: String) async throws -> GenerationRecord {
        let now = self.engine.settings.clock.nowMillis()
        guard let claimed = try await self.service.store.claim(id: record.id, owner: owner, now: now, leaseMillis: 60_000) else {
            throw FixtureError(message: "the generation \(record.id) could not be claimed")
        }
        return claimed
    }

    /// Ends a claimed generation with what its run delivered, as the worker does after storing the outputs.
    func settle(_ claimed: GenerationRecord, delivered: [Settlement.Delivered], owner: String) async throws -> GenerationRecord {
        let settled = try await self.engine.settlement.settleRun(claimed, delivered: delivered, cancelled: false, owner: owner, logger: self.logger)
        guard let settled, settled.status == .completed else { throw FixtureError(message: "the settlement did not complete \(claimed.id)") }
        return settled
    }

    /// Holds, claims and settles one generation with one delivered image, and keeps it as `completed`.
    mutating func completeOne() async throws {
        let owner = Identifier.make("run")
        let claimed = try await self.claim(try await self.submit(), owner: owner)
        self.completed = try await self.settle(claimed, delivered: [Self.delivered(for: claimed)], owner: owner)
    }

    /// One delivered 2K PNG of `record`, as a run hands it to the settlement.
    static func delivered(for record: GenerationRecord) -> Settlement.Delivered {
        let outputID = Identifier.make("out")
        let image = OutputImage(outputID: outputID, index: 0, contentType: "image/png", width: 2048, height: 2048, byteCount: 860_000)
        let output = OutputRecord(
            id: outputID,
            generationID: record.id,
            blobKey: "outputs/\(outputID).png",
            contentType: "image/png",
            byteCount: 860_000,
            etag: OutputRecord.etag(outputID: outputID),
            expiresAt: 0
        )
        return (image, output)
    }

    func close() async {
        try? await self.database.close()
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}

/// A fixture step that could not be done: the benchmark stops rather than measure something else.
struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
