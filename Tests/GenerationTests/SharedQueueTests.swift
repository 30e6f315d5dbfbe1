import Billing
import Essentials
import Foundation
import Logging
import Storage
import StorageTestSupport
import Testing

@testable import Generation
@testable import JobEngine

/// The queue every replica shares is the `generations` table: workers of any replica claim from it, each generation
/// once, and a busy or dead replica's work is taken by another. Replicas here are services over separate handles on
/// one database (separate connection pools on PostgreSQL), as separate processes have.
@Suite struct SharedQueueTests {
    typealias Harness = SettlementTests.Harness

    /// Runs `body` with `count` replicas (see `replicas`), and closes them however `body` ends.
    static func withReplicas(
        _ count: Int,
        providers: [ScriptedProvider],
        settings: GenerationSettings = GenerationSettings(retentionMillis: 60_000),
        _ body: ([Harness]) async throws -> Void
    ) async throws {
        let replicas = try await Self.replicas(count, providers: providers, settings: settings)
        try await withCleanup {
            try await body(replicas)
        } cleanup: {
            for replica in replicas { await replica.close() }
        }
    }

    /// `count` replicas of one new, migrated database with a funded account, each with its own service.
    private static func replicas(
        _ count: Int,
        providers: [ScriptedProvider],
        settings: GenerationSettings = GenerationSettings(retentionMillis: 60_000)
    ) async throws -> [Harness] {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("shared-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let databases = try await TestDatabase.replicas(count, directory: directory, maxConnections: 8)
        try await Migrations.engine.run(on: databases[0])
        let account = try await AccountStore(database: databases[0]).create(name: "t", credit: MicroUSD(micros: 1_000_000))
        return try zip(databases, providers).map { database, provider in
            let replica = try Harness.service(database: database, directory: directory, provider: provider, settings: settings)
            return Harness(replica: replica, database: database, accountID: account.id, directory: directory)
        }
    }

    /// How many sessions listen for work on the shared database, once `count` do or after ten seconds. Workers
    /// start listening a moment after they start: a machine slow to start them must not make an announcement go
    /// unheard in a test (PostgreSQL shows each listener's `LISTEN` as its session's last query).
    func listeners(on harness: Harness, awaiting count: Int) async throws -> Int {
        var listening = 0
        for _ in 0..<200 where listening < count {
            listening = try await harness.database.read { sql in
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%imagegate_work_available%'"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return listening
    }

    func waitForEnd(_ id: String, on harness: Harness, seconds: Int) async throws -> GenerationRecord? {
        for _ in 0..<(seconds * 20) {
            if let record = try await harness.service.store.get(id: id), record.status.isFinal { return record }
            try await Task.sleep(for: .milliseconds(50))
        }
        return try await harness.service.store.get(id: id)
    }

    @Test func concurrentClaimsFromTwoReplicasTakeEachGenerationOnce() async throws {
        try await Self.withReplicas(2, providers: [ScriptedProvider([]), ScriptedProvider([])]) { replicas in
            var queued: Set<String> = []
            for _ in 0..<12 { queued.insert(try await replicas[0].submit(numImages: 1).id) }
            // 24 claims at once, 12 from each replica, for 12 queued generations.
            let claimed = try await withThrowingTaskGroup(of: GenerationRecord?.self) { group in
                for index in 0..<24 {
                    let store = replicas[index % 2].service.store
                    group.addTask { try await store.claimNext(owner: "run_\(index)", now: Timestamp.nowMillis(), leaseMillis: 60_000) }
                }
                var claimed: [GenerationRecord] = []
                for try await record in group { if let record { claimed.append(record) } }
                return claimed
            }
            #expect(claimed.count == 12, "each queued generation claimed once, and none twice")
            #expect(Set(claimed.map(\.id)) == queued)
            #expect(claimed.allSatisfy { $0.status == .processing && $0.attempts == 1 })
            // Nothing is left to claim while their leases live.
            #expect(try await replicas[1].service.store.claimNext(owner: "late", now: Timestamp.nowMillis(), leaseMillis: 60_000) == nil)
        }
    }

    /// Two replicas with one running worker each, both listening for work, replica 0's worker busy for a minute with
    /// `busy`, a generation replica 0 accepted and claimed. `body` gets the replicas and their workers' tasks; the
    /// workers are stopped after it.
    func withReplicaZeroBusy(
        settings: GenerationSettings,
        _ body: (_ replicas: [Harness], _ running: [Task<Void, any Error>], _ busy: GenerationRecord) async throws -> Void
    ) async throws {
        try await Self.withReplicas(
            2,
            providers: [ScriptedProvider([.deliverAfter(.seconds(60), 1)]), ScriptedProvider([.deliver(1)])],
            settings: settings
        ) { replicas in
            let workers = replicas.map { GenerationWorkers($0.engine, workers: 1, logger: $0.logger) }
            let running = workers.map { worker in Task { try await worker.run() } }
            try await withCleanup {
                #expect(try await self.listeners(on: replicas[0], awaiting: 2) == 2)
                let busy = try await replicas[0].submit(numImages: 1)
                for _ in 0..<200 where try await replicas[0].service.store.get(id: busy.id)?.status != .processing {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(try await replicas[0].service.store.get(id: busy.id)?.status == .processing)
                try await body(replicas, running, busy)
            } cleanup: {
                for task in running { task.cancel() }
                for task in running { _ = try? await task.value }
            }
        }
    }

    @Test(.enabled(if: TestDatabase.isPostgres, "one process owns a SQLite file: there is no other replica"))
    func anIdleReplicaTakesABusyReplicasWorkAtOnce() async throws {
        // The sweeper would hand the work out after a minute: only the busy replica's announcement can be in time.
        try await self.withReplicaZeroBusy(settings: GenerationSettings(retentionMillis: 60_000, sweepIntervalMillis: 60_000)) {
            replicas,
            _,
            busy in
            // Replica 0's only worker is busy for a minute; the next generation it accepts is run by replica 1.
            let second = try await replicas[0].submit(numImages: 1)
            let ended = try await self.waitForEnd(second.id, on: replicas[0], seconds: 10)
            #expect(ended?.status == .completed)
            #expect(try await replicas[0].service.store.get(id: busy.id)?.status == .processing)
        }
    }

    @Test(.enabled(if: TestDatabase.isPostgres, "one process owns a SQLite file: there is no other replica"))
    func aLeaseGivenBackAtShutdownIsTakenByAnotherReplicaAtOnce() async throws {
        // Neither the sweeper (a minute) nor the lease (30 s) would hand the work out in time: only the announcement
        // made with the lease given back can.
        let settings = GenerationSettings(retentionMillis: 60_000, leaseMillis: 30_000, sweepIntervalMillis: 60_000)
        try await self.withReplicaZeroBusy(settings: settings) { replicas, running, busy in
            // Replica 0 shuts down mid-run: its run is interrupted and gives the lease back.
            running[0].cancel()
            _ = try? await running[0].value
            let ended = try await self.waitForEnd(busy.id, on: replicas[1], seconds: 10)
            #expect(ended?.status == .completed)
            #expect(ended?.attempts == 2)
            #expect(try await replicas[1].ledger(busy.id).map(\.kind) == [.hold, .charge])
        }
    }

    @Test func aGenerationWhoseReplicaDiedIsResumedByAnother() async throws {
        let settings = GenerationSettings(retentionMillis: 60_000, leaseMillis: 30_000, sweepIntervalMillis: 200)
        try await Self.withReplicas(2, providers: [ScriptedProvider([]), ScriptedProvider([.deliver(1)])], settings: settings) { replicas in
            let record = try await replicas[0].submit(numImages: 1)
            // Replica 0 claims it under a one-second lease and dies: nothing renews the lease, nothing gives it back.
            let dead = try #require(
                try await replicas[0].service.store.claimNext(owner: "run_dead", now: Timestamp.nowMillis(), leaseMillis: 1_000)
            )
            #expect(dead.id == record.id)
            let workers = GenerationWorkers(replicas[1].engine, workers: 1, logger: replicas[1].logger)
            let running = Task { try await workers.run() }
            // The live replica's workers find nothing to claim at start; its sweeper wakes them once the lease runs out.
            let ended = try await self.waitForEnd(record.id, on: replicas[1], seconds: 10)
            #expect(ended?.status == .completed)
            #expect(ended?.attempts == 2)
            #expect(try await replicas[1].ledger(record.id).map(\.kind) == [.hold, .charge])
            running.cancel()
            _ = try? await running.value
        }
    }
}
