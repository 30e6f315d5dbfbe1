import Billing
import Foundation
import ImageGateApp
import Logging
import ServiceLifecycle
import Storage
import StorageTestSupport
import Testing

@testable import Generation
@testable import JobEngine

/// A rolling deploy and an upstream's odd words, against the emulator: neither may cost the user a refund of work
/// fal did, nor make the engine ask fal again and again.
@Suite struct FalShutdownTests {
    /// A funded account and a generation submitted through `engine`'s use cases (nothing runs it yet).
    static func submit(_ prompt: String, on engine: EngineDependencies, database: any Database) async throws -> GenerationRecord {
        let service = GenerationService(engine.generation)
        let account = try await AccountStore(database: database).create(name: "t", credit: MicroUSD(micros: 1_000_000))
        let body = "{\"model\":\"seedream-5-lite\",\"prompt\":\"\(prompt)\",\"num_images\":1}"
        let (parameters, model) = try service.validator.validate(body: Array(body.utf8))
        return try await service.submit(parameters, model: model, accountID: account.id, apiKeyID: nil, logger: Self.logger).record
    }

    static var logger: Logger { Logger(label: "fal-shutdown-test") }

    /// Runs this process's workers on `engine` until `id` is final (at most 30 s); the final record.
    static func runUntilFinal(_ id: String, on engine: EngineDependencies) async throws -> GenerationRecord? {
        let workers = GenerationWorkers(engine, workers: 1, logger: Self.logger)
        let task = Task { try await workers.run() }
        defer { task.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let record = try await engine.store.get(id: id), record.status.isFinal { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// A data directory and a database of the engine under test, for `body`.
    static func withDatabase<T>(_ body: (String, any Database) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fal-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try await TestDatabase.open(directory: directory, schema: ImageGateSchema.migrations)
        return try await withCleanup {
            try await body(directory, database)
        } cleanup: {
            try? await database.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func aGracefulShutdownDuringASlowSubmitLetsItFinishAndTheRestartCompletesIt() async throws {
        try await EmulatorHarness.with({ $0.submitLatencyMillis = 1500 }) { emulator in
            try await Self.withDatabase { directory, database in
                let first = try FalResumeTests.engine(database: database, directory: directory, queueURL: emulator.queueURL)
                let record = try await Self.submit("deploy", on: first, database: database)
                let group = ServiceGroup(
                    configuration: .init(services: [GenerationWorkers(first, workers: 1, logger: Self.logger)], logger: Self.logger)
                )
                let running = Task { try await group.run() }
                // fal has the request and is slow to answer it: the deploy's SIGTERM comes now.
                while try await emulator.stats()["accepted"] != 1 { try await Task.sleep(for: .milliseconds(10)) }
                await group.triggerGracefulShutdown()
                try await running.value

                let stopped = try #require(try await first.store.get(id: record.id))
                #expect(stopped.status == .processing)
                #expect(stopped.upstreamHandle != nil, "the submit finished and its handle was saved before shutdown ended")

                let second = try FalResumeTests.engine(database: database, directory: directory, queueURL: emulator.queueURL)
                let final = try #require(try await Self.runUntilFinal(record.id, on: second))
                #expect(final.status == .completed, "\(final.errorMessage ?? "")")
                #expect(try await database.read { sql in try await Ledger.entries(generation: record.id, on: sql) }.map(\.kind) == [.hold, .charge])
                let stats = try await emulator.stats()
                #expect(stats["submitsReceived"] == 1 && stats["accepted"] == 1, "fal saw one submit")
            }
        }
    }

    @Test func anUpstreamErrorWithNULEndsFailedAndRefundedAfterOneSubmit() async throws {
        try await EmulatorHarness.with({
            $0.failRate = 1
            $0.failType = .nulMessage
        }) { emulator in
            try await Self.withDatabase { directory, database in
                let service = try FalResumeTests.engine(database: database, directory: directory, queueURL: emulator.queueURL)
                let record = try await Self.submit("nul", on: service, database: database)
                let final = try #require(try await Self.runUntilFinal(record.id, on: service), "the generation never ended")
                #expect(final.status == .failed && final.charged.micros == 0 && final.refunded == final.hold)
                #expect(final.errorMessage?.contains("\u{FFFD}") == true && final.errorMessage?.contains("\u{0}") == false)
                #expect(try await database.read { sql in try await Ledger.entries(generation: record.id, on: sql) }.map(\.kind) == [.hold, .refund])
                let stats = try await emulator.stats()
                #expect(stats["submitsReceived"] == 1)
                #expect((stats["statusPolls"] ?? 0) + (stats["resultFetches"] ?? 0) <= 40, "a bounded number of calls: \(stats)")
            }
        }
    }
}
