import Foundation
import Logging
import SQLKit
import Testing

@testable import Storage

/// Transactions committed together: each one's failure undoes only its own statements, and none returns before
/// its rows are committed (visible from another connection).
@Suite struct GroupCommitTests {
    struct Refused: Error {}

    @Test func concurrentTransactionsCommitTogetherAndAFailureUndoesOnlyItsOwn() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("groupcommit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await SQLiteDatabase.open(path: directory.appendingPathComponent("t.sqlite").path, logger: Logger(label: "test"))
        try await database.transaction { sql in try await sql.raw("CREATE TABLE rows (n INTEGER PRIMARY KEY)").run() }

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
}
