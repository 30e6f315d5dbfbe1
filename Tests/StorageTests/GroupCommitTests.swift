import Foundation
import Logging
import SQLKit
import Testing

@testable import Storage

/// Transactions committed together: each one's failure undoes only its own statements, and none returns before
/// its rows are committed (visible from another connection).
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    /// A fresh database file with one table `rows (n)`.
    static func database() async throws -> (SQLiteDatabase, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("groupcommit-\(UUID().uuidString).sqlite").path
        let database = try await SQLiteDatabase.open(path: path, logger: Logger(label: "test"))
        try await database.transaction { sql in try await sql.raw("CREATE TABLE rows (n INTEGER PRIMARY KEY)").run() }
        return (database, path)
    }

    @Test func concurrentTransactionsCommitTogetherAndAFailureUndoesOnlyItsOwn() async throws {
        let (database, path) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }

        let outcomes = await withTaskGroup(of: (Int, Bool, Bool).self) { group in
            for n in 0..<200 {
                group.addTask {
                    do {
                        try await database.transaction(priority: n % 3 == 0 ? .urgent : .normal) { sql in
                            try await sql.raw("INSERT INTO rows (n) VALUES (\(bind: n))").run()
                            // Every seventh transaction fails after writing: its row must not survive.
                            if n % 7 == 0 { throw Refused() }
                        }
                        // Returned: the row is committed, so a reader connection sees it.
                        let seen = try await database.read { sql in
                            try await sql.raw("SELECT n FROM rows WHERE n = \(bind: n)").all().count
                        }
                        return (n, true, seen == 1)
                    } catch {
                        return (n, false, error is Refused)
                    }
                }
            }
            var all: [(Int, Bool, Bool)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        for (n, committed, checked) in outcomes {
            #expect(committed == (n % 7 != 0), "transaction \(n)")
            #expect(checked, "transaction \(n): committed rows are visible on return, failures are the body's own")
        }
        let rows = try await database.read { sql in
            try await sql.raw("SELECT n FROM rows ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
        }
        #expect(rows == (0..<200).filter { $0 % 7 != 0 })
        try await database.close()
    }

    @Test func aLoneTransactionThatFailsLeavesNothingAndTheNextCommits() async throws {
        let (database, path) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }

        // One at a time, so each is alone in its batch: a failure undoes its own row, and the batch commits nothing.
        for n in 0..<6 {
            do {
                try await database.transaction { sql in
                    try await sql.raw("INSERT INTO rows (n) VALUES (\(bind: n))").run()
                    if n.isMultiple(of: 2) { throw Refused() }
                }
            } catch is Refused {}
        }
        let other = try await SQLiteDatabase.open(path: path, logger: Logger(label: "other"))
        let rows = try await other.read { sql in
            try await sql.raw("SELECT n FROM rows ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
        }
        #expect(rows == [1, 3, 5])
        try await other.close()
        try await database.close()
    }

    @Test func aTransactionWhoseTaskIsCancelledLeavesNothingOpen() async throws {
        let (database, path) = try await Self.database()
        defer { try? FileManager.default.removeItem(atPath: path) }

        // A client hangs up in the middle of its transaction: its task is cancelled, and the statements that end
        // the transaction run in a cancelled task.
        let (started, starting) = AsyncStream<Void>.makeStream()
        let cancelled = Task {
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO rows (n) VALUES (1)").run()
                starting.yield()
                try await Task.sleep(for: .seconds(30))
            }
        }
        for await _ in started { break }
        cancelled.cancel()
        await #expect(throws: CancellationError.self) { try await cancelled.value }

        // The books go on: the next transaction commits, the cancelled row is gone, and the write lock is free for
        // another process.
        try await database.transaction { sql in try await sql.raw("INSERT INTO rows (n) VALUES (2)").run() }
        let other = try await SQLiteDatabase.open(path: path, logger: Logger(label: "other"))
        try await other.transaction { sql in try await sql.raw("INSERT INTO rows (n) VALUES (3)").run() }
        let rows = try await database.read { sql in
            try await sql.raw("SELECT n FROM rows ORDER BY n").all().map { try $0.decode(column: "n", as: Int.self) }
        }
        #expect(rows == [2, 3])
        try await other.close()
        try await database.close()
    }
}
