import Essentials
import Foundation
import SQLKit
import Storage
import StorageTestSupport
import Testing

@testable import Generation
@testable import JobEngine

/// Leases are judged with each replica's own clock; a replica whose clock disagrees with the database's by more
/// than the tolerated skew takes over no lease it would have to judge (issue 23, item 3). PostgreSQL only: on SQLite
/// one process owns the database, and its clock is the only one.
@Suite struct ClockSkewTests {
    typealias Harness = SettlementTests.Harness

    @Test(.enabled(if: TestDatabase.isPostgres))
    func aReplicaWhoseClockRunsAMinuteAheadTakesOverNoLiveLease() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            let record = try await harness.submit(numImages: 1)
            // Replica A, on a true clock, runs it under a 30 s lease.
            let leased = try await harness.service.store.claim(id: record.id, owner: "run_a", now: Timestamp.nowMillis(), leaseMillis: 30_000)
            #expect(leased != nil)

            // Replica B's clock runs 60 s ahead: by it, A's lease ran out half a minute ago.
            var settings = GenerationSettings(retentionMillis: 60_000, clock: ManualClock(startingAt: Timestamp.nowMillis() + 60_000))
            settings.maxClockSkewMillis = 5_000
            let ahead = try Harness.service(
                database: harness.database,
                directory: harness.directory,
                provider: ScriptedProvider([]),
                settings: settings
            )
            #expect(await ahead.runner.claimNext(logger: harness.logger) == nil, "the live lease is not taken over")
            #expect(await ahead.runner.run(record.id, logger: harness.logger) == .notClaimed)
            let owner = try await harness.database.read { sql in
                try await sql.raw("SELECT lease_owner FROM generations WHERE id = \(bind: record.id)").first()?.decode(
                    column: "lease_owner",
                    as: String.self
                )
            }
            #expect(owner == "run_a")

            // A lease given back needs no clock to judge it: B takes it.
            try await harness.service.store.releaseLease(id: record.id, owner: "run_a")
            let taken = await ahead.runner.claimNext(logger: harness.logger)
            #expect(taken?.record.id == record.id)
        }
    }
}
