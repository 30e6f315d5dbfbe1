import AsyncHTTPClient
import Billing
import Blobs
import Catalog
import Foundation
import ImageGateApp
import ImageGateTestSupport
import Logging
import NIOCore
import Providers
import SQLKit
import Storage
import StorageTestSupport
import Testing
import Webhooks

@testable import Generation
@testable import JobEngine

/// A process that dies while fal is still working must not pay twice: the saved queue handle is followed after the
/// restart, and the generation is charged once.
@Suite struct FalResumeTests {
    /// One process's job engine (and, through `generation`, its use cases) over the data directory, talking to fal at
    /// `queueURL`.
    static func engine(database: any Database, directory: String, queueURL: String) throws -> EngineDependencies {
        let blobs = FileBlobStore(root: "\(directory)/blobs")
        let fal = FalConfiguration(
            key: "test",
            queueURL: queueURL,
            generateEndpoint: "fal-ai/bytedance/seedream/v5/lite/text-to-image",
            editEndpoint: "fal-ai/bytedance/seedream/v5/lite/edit"
        )
        return EngineDependencies(
            catalog: try ModelCatalog.bundled(),
            database: database,
            blobs: blobs,
            provider: FalProvider(configuration: fal, httpClient: .shared, submitClient: .shared, logger: Logger(label: "fal")),
            references: ReferenceLoader(allowPrivateAddresses: true),
            mirror: OutputMirror(blobs: blobs, httpClient: .shared, maxBytes: 64 << 20),
            settings: GenerationSettings(retentionMillis: 60_000),
            webhookBell: WebhookBell()
        )
    }

    @Test func threeRestartsDuringOneHealthyJobChargeOnceAndSubmitOnce() async throws {
        try await EmulatorHarness.with({ $0.runLatencyMillis = 4000 }) { emulator in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("resume-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let database = try await TestDatabase.open(directory: directory, schema: ImageGateSchema.migrations)
            let account = try await AccountStore(database: database).create(name: "t", credit: MicroUSD(micros: 1_000_000))
            let logger = Logger(label: "resume-test")

            // Three processes in turn: the first submits to fal and saves the handle, and each is stopped mid-poll
            // (as by a restart). Restarts are not failures: with a handle, the generation is always resumed.
            let first = try Self.engine(database: database, directory: directory, queueURL: emulator.queueURL)
            let service = GenerationService(first.generation)
            let (parameters, model) = try service.validator.validate(
                body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"resume\",\"num_images\":2}".utf8)
            )
            let record = try await service.submit(parameters, model: model, accountID: account.id, apiKeyID: nil, logger: logger).record
            for restart in 0..<3 {
                let process = restart == 0 ? first : try Self.engine(database: database, directory: directory, queueURL: emulator.queueURL)
                let running = Task { await process.process(record.id, logger: logger) }
                for _ in 0..<100 {
                    if try await process.store.get(id: record.id)?.upstreamRequestID != nil { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await Task.sleep(for: .milliseconds(300))
                running.cancel()
                #expect(await running.value == .interrupted)
                let interrupted = try #require(try await process.store.get(id: record.id))
                #expect(interrupted.status == .processing)
                #expect(interrupted.upstreamHandle != nil)
            }

            // Second process: recovery follows the saved handle.
            let second = try Self.engine(database: database, directory: directory, queueURL: emulator.queueURL)
            let workers = GenerationWorkers(second, workers: 1, logger: logger)
            let task = Task { try await workers.run() }
            // Up to 30 s: on a loaded machine the emulator's own rendering of the two images can take several seconds.
            for _ in 0..<600 {
                if try await second.store.get(id: record.id)?.status.isFinal == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            task.cancel()
            let final = try #require(try await second.store.get(id: record.id))
            #expect(final.status == .completed)
            #expect(final.images.count == 2)
            #expect(final.attempts == 4, "three interrupted runs and the one that finished")
            #expect(try await emulator.stats()["accepted"] == 1, "fal got one request, not two")
            let kinds = try await database.read { sql in try await Ledger.entries(generation: record.id, on: sql) }.map(\.kind)
            #expect(kinds == [.hold, .charge])
            let (available, held) = try await database.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available.micros == 1_000_000 - 28_000 && held.micros == 0)
            try await database.close()
        }
    }
}
