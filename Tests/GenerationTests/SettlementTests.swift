import AsyncHTTPClient
import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Logging
import NIOCore
import Providers
import Storage
import StorageTestSupport
import Testing
import Webhooks

@testable import Generation
@testable import JobEngine
@testable import Webhooks

/// The engine's settlement: exactly what is delivered is charged, the rest goes back, on a real SQLite database.
@Suite struct SettlementTests {
    /// A service over a fresh data directory, with a funded account.
    struct Harness {
        let replica: Replica
        let database: any Database
        let accountID: String
        let directory: String
        let logger = Logger(label: "settlement-test")

        /// Runs `body` with a harness, and closes it however `body` ends (see `withCleanup`).
        static func with<T>(
            provider: any ImageProvider,
            creditMicros: Int64 = 1_000_000,
            blobs: (any BlobStore)? = nil,
            _ body: (Harness) async throws -> T
        ) async throws -> T {
            let harness = try await Self.make(provider: provider, creditMicros: creditMicros, blobs: blobs)
            return try await withCleanup {
                try await body(harness)
            } cleanup: {
                await harness.close()
            }
        }

        private static func make(provider: any ImageProvider, creditMicros: Int64, blobs: (any BlobStore)?) async throws -> Harness {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("settle-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let database = try await TestDatabase.open(directory: directory, schema: .engine)
            let account = try await AccountStore(database: database).create(name: "t", credit: MicroUSD(micros: creditMicros))
            let replica = try Self.service(database: database, directory: directory, provider: provider, blobs: blobs)
            return Harness(replica: replica, database: database, accountID: account.id, directory: directory)
        }

        /// The use cases.
        var service: GenerationService { self.replica.service }
        /// The job engine, which runs generations.
        var engine: EngineDependencies { self.replica.engine }

        /// A replica over the data directory with its own, empty in-process queue: what a restarted process has.
        static func service(
            database: any Database,
            directory: String,
            provider: any ImageProvider,
            settings: GenerationSettings = GenerationSettings(retentionMillis: 60_000),
            blobs: (any BlobStore)? = nil
        ) throws -> Replica {
            let blobs = blobs ?? FileBlobStore(root: "\(directory)/blobs")
            return Replica(
                EngineDependencies(
                    catalog: try ModelCatalog.bundled(),
                    database: database,
                    blobs: blobs,
                    provider: provider,
                    references: ReferenceLoader(allowPrivateAddresses: true),
                    mirror: OutputMirror(blobs: blobs, httpClient: .shared, maxBytes: 1 << 20, timeout: .seconds(2)),
                    settings: settings,
                    webhookBell: WebhookBell()
                )
            )
        }

        func run(numImages: Int) async throws -> GenerationRecord {
            let record = try await self.submit(numImages: numImages)
            await self.engine.process(record.id, logger: self.logger)
            return try #require(try await self.service.store.get(id: record.id))
        }

        /// Holds and queues a generation (in the database only; nothing runs it).
        func submit(numImages: Int, on replica: Replica? = nil) async throws -> GenerationRecord {
            let service = replica?.service ?? self.service
            let (parameters, model) = try service.validator.validate(
                body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"x\",\"num_images\":\(numImages)}".utf8)
            )
            return try await service.submit(parameters, model: model, accountID: self.accountID, apiKeyID: nil, logger: self.logger).record
        }

        func ledger(_ id: String) async throws -> [LedgerEntry] {
            try await self.database.read { sql in try await Ledger.entries(generation: id, on: sql) }
        }

        func balances() async throws -> (Int64, Int64) {
            let (available, held) = try await self.database.read { sql in try await Ledger.balances(account: self.accountID, on: sql) }
            return (available.micros, held.micros)
        }

        /// The janitor of this harness's outputs over `blobs`.
        func janitor(blobs: any BlobStore) -> OutputJanitor {
            OutputJanitor(database: self.database, blobs: blobs, interval: .seconds(60), logger: self.logger)
        }

        func close() async {
            try? await self.database.close()
            try? FileManager.default.removeItem(atPath: self.directory)
        }
    }

    enum Outcome: String, CaseIterable, Sendable { case allDelivered, someDropped, allFailed }

    @Test(arguments: 1...6, Outcome.allCases)
    func chargesExactlyTheDeliveredImages(numImages: Int, outcome: Outcome) async throws {
        let delivered =
            switch outcome {
            case .allDelivered: numImages
            case .someDropped: numImages / 2
            case .allFailed: 0
            }
        let step: ScriptedProvider.Step =
            outcome == .allFailed ? .fail(ProviderError(code: .upstreamFailed, message: "boom")) : .deliver(delivered)
        try await Harness.with(provider: ScriptedProvider([step])) { harness in
            let record = try await harness.run(numImages: numImages)

            let expectedStatus: GenerationStatus = delivered == 0 ? .failed : .completed
            #expect(record.status == expectedStatus)
            #expect(record.images.count == delivered)
            #expect(record.charged.micros == Int64(delivered) * 14_000)
            #expect(record.refunded.micros == Int64(numImages - delivered) * 14_000)

            let kinds = try await harness.ledger(record.id).map(\.kind)
            var expectedKinds: [LedgerKind] = [.hold]
            if delivered > 0 { expectedKinds.append(.charge) }
            if delivered < numImages { expectedKinds.append(delivered == 0 ? .refund : .release) }
            #expect(kinds == expectedKinds)

            let (available, held) = try await harness.balances()
            #expect(available == 1_000_000 - Int64(delivered) * 14_000)
            #expect(held == 0)
        }
    }

    @Test func processingTwiceSettlesOnce() async throws {
        let provider = ScriptedProvider([.deliver(2)])
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.run(numImages: 2)
            await harness.engine.process(record.id, logger: harness.logger)
            #expect(provider.calls == 1, "a finished generation is not claimed again")
            #expect(try await harness.ledger(record.id).count == 2)
        }
    }

    @Test func anUnreachableRemoteOutputIsRefunded() async throws {
        // Port 9 (discard) on loopback: nothing listens, so the fetch fails and that image is not delivered.
        let provider = ScriptedProvider([.remote(["http://127.0.0.1:9/a.png"])])
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.run(numImages: 1)
            #expect(record.status == .failed)
            #expect(record.refunded.micros == 14_000)
        }
    }

    @Test func anInterruptedGenerationIsResumedByTheWorkers() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            let (parameters, model) = try harness.service.validator.validate(body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"x\"}".utf8))
            // Submitted and claimed, then "the process died": the row is left in processing.
            let record = try await harness.service.submit(
                parameters,
                model: model,
                accountID: harness.accountID,
                apiKeyID: nil,
                logger: harness.logger
            ).record
            // Its lease ran out with it (1 ms), so the restarted process may take it over at once.
            _ = try await harness.service.store.claim(id: record.id, owner: "run_dead", now: Timestamp.nowMillis(), leaseMillis: 1)
            try await Task.sleep(for: .milliseconds(5))
            #expect(try await harness.service.store.unfinishedIDs() == [record.id])

            // A restarted process (new service, empty queue) recovers it from the database through the same path.
            let restarted = try Harness.service(database: harness.database, directory: harness.directory, provider: ScriptedProvider([.deliver(1)]))
            let workers = GenerationWorkers(restarted.dependencies, workers: 1, logger: harness.logger)
            let task = Task { try await workers.run() }
            for _ in 0..<600 {  // at most 30 s, however loaded the machine
                if try await harness.service.store.get(id: record.id)?.status.isFinal == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            task.cancel()
            let final = try #require(try await harness.service.store.get(id: record.id))
            #expect(final.status == .completed)
            #expect(final.attempts == 2)
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
        }
    }
}
