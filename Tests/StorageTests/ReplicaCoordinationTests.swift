import Foundation
import SQLKit
import StorageTestSupport
import Testing

@testable import Storage

/// What replicas sharing one database tell each other through it: ends of generations (NOTIFY on PostgreSQL), and
/// which of them does a chore (an advisory lock). On SQLite one process owns the file, so neither is needed.
@Suite struct ReplicaCoordinationTests {
    @Test func aChoreRunsOnOneReplicaAtATime() async throws {
        let directory = try MigrationTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let replicas = try await MigrationTests.replicas(2, directory: directory)
        let ranInside = try await replicas[0].exclusively(.janitor) {
            let other = try await replicas[1].exclusively(.janitor) {}
            // PostgreSQL: the second replica skips the chore while the first holds it. SQLite: one process per file.
            #expect(other == !TestDatabase.isPostgres)
        }
        #expect(ranInside)
        // Released at the end: the other replica takes its turn now.
        #expect(try await replicas[1].exclusively(.janitor) {})
        for replica in replicas { try await replica.close() }
    }

    @Test func anEndCommittedByOneReplicaReachesTheOthers() async throws {
        let directory = try MigrationTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let replicas = try await MigrationTests.replicas(2, directory: directory)
        guard let ended = replicas[1].endedGenerations() else {
            #expect(!TestDatabase.isPostgres, "only a database of one process may go without")
            for replica in replicas { try await replica.close() }
            return
        }
        let heard = Task { () -> String? in
            for await id in ended { return id }
            return nil
        }
        // The listener needs a moment to start: announce (each announcement its own commit) until it hears one, for
        // at most five seconds, then stop listening.
        let announcer = Task {
            for _ in 0..<50 {
                try await replicas[0].transaction { sql in try await sql.announceEnd("gen_from_replica_0") }
                try await Task.sleep(for: .milliseconds(100))
            }
            heard.cancel()
        }
        let answer = await heard.value
        announcer.cancel()
        #expect(answer == "gen_from_replica_0")
        heard.cancel()
        for replica in replicas { try await replica.close() }
    }
}
