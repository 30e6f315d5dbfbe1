import Billing
import Foundation
import Logging
import Providers
import Storage
import Testing

@testable import Accounts
@testable import Generation
@testable import JobEngine

/// Cancelling a generation, queued or running, on a real SQLite database: the money moves exactly once whatever
/// the timing, what the upstream still bills is recorded, and asking again gives the same answer.
@Suite struct CancelTests {
    typealias Harness = SettlementTests.Harness

    /// Waits until the generation is running (its run claimed it).
    static func untilProcessing(_ harness: Harness, _ id: String) async throws {
        while try await harness.service.store.get(id: id)?.status != .processing { try await Task.sleep(for: .milliseconds(5)) }
    }

    @Test func aQueuedGenerationNeverRunsAndItsWholeHoldIsReturned() async throws {
        let provider = ScriptedProvider([])  // any call fails loudly
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 3)
            let cancelled = try #require(try await harness.service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .seconds(5)))
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.refunded == record.hold && cancelled.charged == .zero)
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .release])
            let (available, held) = try await harness.balances()
            #expect(available == 1_000_000 && held == 0)
            // A worker that still had it in its queue finds nothing to do.
            #expect(await harness.engine.process(record.id, logger: harness.logger) == .notClaimed)
            #expect(provider.calls == 0)
            // Asking again gives the same answer and moves nothing.
            let again = try #require(try await harness.service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .seconds(5)))
            #expect(again.status == .cancelled && again.refunded == record.hold)
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .release])
            // Another account's cancel finds nothing.
            #expect(try await harness.service.cancel(id: record.id, accountID: "acct_other", waitingUpTo: .zero) == nil)
            #expect(try await BooksAudit.run(on: harness.database).isClean)
        }
    }

    @Test func aRunningGenerationIsStoppedAndSettledByItsRunWithTheUpstreamsBillRecorded() async throws {
        let provider = ScriptedProvider([.stopOnCancel(billed: 2)], costPerImage: 7_000)
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 2)
            let run = Task { await harness.engine.process(record.id, logger: harness.logger) }
            try await Self.untilProcessing(harness, record.id)
            let cancelled = try #require(try await harness.service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .seconds(10)))
            #expect(await run.value == .settled(.cancelled))
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.errorCode == "cancelled")
            #expect(cancelled.refunded == record.hold && cancelled.charged == .zero)
            #expect(cancelled.upstreamCost.micros == 14_000, "what the upstream bills for the cancelled run is the operator's loss")
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .release])
            let audit = try await BooksAudit.run(on: harness.database)
            #expect(audit.isClean, "\(audit.problems)")
            #expect(audit.upstreamLosses.map(\.generationId) == [record.id])
        }
    }

    @Test func aRunThatFinishesFirstIsDeliveredAndCharged() async throws {
        let provider = ScriptedProvider([.deliverOnCancel(2)])
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 2)
            let run = Task { await harness.engine.process(record.id, logger: harness.logger) }
            try await Self.untilProcessing(harness, record.id)
            let answer = try #require(try await harness.service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .seconds(10)))
            #expect(await run.value == .settled(.completed))
            #expect(answer.status == .completed && answer.images.count == 2)
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
            // Twice: the same answer, no money moved.
            #expect(try await harness.service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .zero)?.status == .completed)
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .charge])
        }
    }

    @Test func aCancelRacingTheClaimNeverBothChargesAndReturns() async throws {
        // Each generation is either claimed and delivered, or cancelled while queued: never both, never neither.
        let provider = ScriptedProvider(Array(repeating: .deliver(1), count: 30))
        try await Harness.with(provider: provider) { harness in
            var ids: [String] = []
            for _ in 0..<30 { ids.append(try await harness.submit(numImages: 1).id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Half the time the cancel starts first, half the time the run: both sides of the race are exercised.
                for (index, id) in ids.enumerated() {
                    let run: @Sendable () async throws -> Void = { _ = await harness.engine.process(id, logger: harness.logger) }
                    let cancel: @Sendable () async throws -> Void = {
                        _ = try await harness.service.cancel(id: id, accountID: harness.accountID, waitingUpTo: .seconds(10))
                    }
                    for step in index.isMultiple(of: 2) ? [cancel, run] : [run, cancel] { group.addTask(operation: step) }
                }
                try await group.waitForAll()
            }
            var completed = 0
            for id in ids {
                let record = try #require(try await harness.service.store.get(id: id))
                let kinds = try await harness.ledger(id).map(\.kind)
                switch record.status {
                case .completed:
                    completed += 1
                    #expect(kinds == [.hold, .charge])
                case .cancelled:
                    #expect(kinds == [.hold, .release])
                default:
                    Issue.record("generation \(id) ended \(record.status)")
                }
            }
            #expect(provider.calls == completed, "the provider ran exactly the generations that were charged")
            let audit = try await BooksAudit.run(on: harness.database)
            #expect(audit.isClean, "\(audit.problems)")
        }
    }
}
