import Billing
import Essentials
import Foundation
import ImagingTestSupport
import Logging
import Providers
import SQLKit
import Storage
import StorageTestSupport
import Testing

@testable import Generation
@testable import JobEngine

/// The runner's exactly-once rules, on a real SQLite database with a scripted provider that fails loudly when it
/// is called more often than scripted.
@Suite struct RunnerTests {
    typealias Harness = SettlementTests.Harness

    @Test func twoRunsOfOneGenerationAtOnceCallTheProviderOnce() async throws {
        let provider = ScriptedProvider([.deliverAfter(.milliseconds(400), 1)])
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 1)
            async let first = harness.engine.process(record.id, logger: harness.logger)
            async let second = harness.engine.process(record.id, logger: harness.logger)
            let results = await [first, second]
            #expect(provider.calls == 1, "the second run found a live lease and left")
            #expect(results.contains(.settled(.completed)) && results.contains(.notClaimed))
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
        }
    }

    @Test func aLongRunKeepsItsLeaseAndIsNotTakenOver() async throws {
        // A lease of 1.5 s on a clock the test moves, 1 s at a time, to 4 s: past the first lease, only renewal keeps
        // a second run out. Each step waits for the run's next renewal rather than for a time, so a slow machine
        // (a database stalled for a second under a parallel suite) cannot fail it; without renewal it fails.
        let provider = ScriptedProvider([.deliverOnCancel(1)])
        try await Harness.with(provider: provider) { harness in
            let clock = ManualClock()
            let service = try Harness.service(
                database: harness.database,
                directory: harness.directory,
                provider: provider,
                settings: GenerationSettings(retentionMillis: 60_000, leaseMillis: 1500, clock: clock)
            )
            let record = try await harness.submit(numImages: 1, on: service)
            let running = Task { await service.process(record.id, logger: harness.logger) }
            for _ in 0..<4 {
                try #require(try await Self.untilLease(of: record.id, reaches: clock.nowMillis() + 1500, harness), "not renewed")
                // The row shows the renewal as soon as it commits; its answer reaches the keeper a moment later. Moving
                // the clock in between would put the keeper past that renewal's deadline before it heard the answer.
                try await Task.sleep(for: .milliseconds(300))
                clock.advance(byMillis: 1000)
                #expect(await service.process(record.id, logger: harness.logger) == .notClaimed)
            }
            // The owner's cancel ends the work; the scripted upstream had finished first, so it delivers.
            _ = try await service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .seconds(30))
            #expect(await running.value == .settled(.completed))
            #expect(provider.calls == 1)
        }
    }

    /// Waits until the generation's lease runs to `until` or later (claimed or renewed since the clock last moved);
    /// false after 30 s without it.
    static func untilLease(of id: String, reaches until: Int64, _ harness: Harness) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let leaseUntil = try await harness.database.read { sql in
                try await sql.raw("SELECT COALESCE(lease_until, 0) AS lease_until FROM generations WHERE id = \(bind: id)").first()?
                    .decode(column: "lease_until", as: Int64.self)
            }
            if let leaseUntil, leaseUntil >= until { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func aSubmitThatMayHaveReachedTheUpstreamIsNeverSentAgain() async throws {
        // The first run records that a submit is leaving, then "dies" before any handle is saved.
        let provider = ScriptedProvider([.crashWhileSubmitting], costPerImage: 35_000)
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 2)
            #expect(await harness.engine.process(record.id, logger: harness.logger) == .interrupted)

            // The next run must not call the provider (the script has no second step: a call would fail loudly).
            #expect(await harness.engine.process(record.id, logger: harness.logger) == .settled(.failed))
            #expect(provider.calls == 1)
            let final = try #require(try await harness.service.store.get(id: record.id))
            #expect(final.refunded.micros == 28_000 && final.charged.micros == 0)
            #expect(final.upstreamCost.micros == 70_000, "what the upstream may bill is recorded as the operator's loss")
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .refund])
        }
    }

    @Test func anInterruptedRunGivesItsLeaseBackForTheNextRun() async throws {
        let provider = ScriptedProvider([.deliverAfter(.seconds(30), 1), .deliver(1)])
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 1)
            let running = Task { await harness.engine.process(record.id, logger: harness.logger) }
            while provider.calls == 0 { try await Task.sleep(for: .milliseconds(5)) }  // the upstream is at work
            running.cancel()  // a graceful shutdown
            #expect(await running.value == .interrupted)
            // No waiting for the 30 s lease: it was given back.
            #expect(await harness.engine.process(record.id, logger: harness.logger) == .settled(.completed))
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
        }
    }

    @Test func aQueuedGenerationWhoseClaimFailedEndsWithoutARestart() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            let flaky = FlakyDatabase(base: harness.database)
            let service = try Harness.service(
                database: flaky,
                directory: harness.directory,
                provider: ScriptedProvider([.deliver(1)]),
                settings: GenerationSettings(retentionMillis: 60_000, sweepIntervalMillis: 100)
            )
            // Submitted through another process (nobody runs it there), before these workers start.
            let record = try await harness.submit(numImages: 1)
            // The workers' first transaction is their first claim: it fails, as with a database locked past its busy
            // timeout. Nothing wakes them again but the sweeper.
            flaky.failNextTransactions(1)
            let workers = GenerationWorkers(service.dependencies, workers: 1, logger: harness.logger)
            let task = Task { try await workers.run() }
            defer { task.cancel() }
            var final: GenerationRecord?
            for _ in 0..<100 {
                final = try await service.store.get(id: record.id)
                if final?.status.isFinal == true { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(final?.status == .completed, "the sweeper woke the workers again: \(final?.errorMessage ?? "")")
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
        }
    }

    @Test func aHoldWhoseCommitAnswerWasLostIsReadBackAndKeepsItsReferences() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            let flaky = FlakyDatabase(base: harness.database)
            let service = try Harness.service(database: flaky, directory: harness.directory, provider: ScriptedProvider([.deliver(1)]))
            let body = "{\"model\":\"seedream-5-lite\",\"mode\":\"edit\",\"prompt\":\"x\",\"image_urls\":[\"\(try HostileImages.validDataURI())\"]}"
            let (parameters, model) = try service.validator.validate(body: Array(body.utf8))
            // The hold's transaction commits, and its answer is lost (a connection dropped after the COMMIT).
            flaky.loseNextCommitAnswers(1)
            let record = try await service.submit(parameters, model: model, accountID: harness.accountID, apiKeyID: nil, logger: harness.logger)
                .record
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold], "one hold, answered as created")
            let reference = try #require(record.request.referenceKeys.first)
            #expect(try await service.blobs.info(key: reference) != nil, "the committed generation keeps its reference copy")
            await service.process(record.id, logger: harness.logger)
            let final = try #require(try await service.store.get(id: record.id))
            #expect(final.status == .completed, "\(final.errorMessage ?? "")")
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
        }
    }
}
