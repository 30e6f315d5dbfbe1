import Foundation
import SQLKit
import StorageTestSupport
import Testing

@testable import Storage

/// On PostgreSQL a statement run twice is prepared on the connection and only executed afterwards; what it returns
/// and writes stays what the unnamed statement did, whatever values it is given.
@Suite struct PreparedStatementTests {
    /// Runs `body` on a new database over one connection, so every statement of a test runs in the same PostgreSQL
    /// session, and closes it however `body` ends.
    private static func withDatabase(_ body: (any Database) async throws -> Void) async throws {
        let directory = try MigrationTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.replicas(1, directory: directory, maxConnections: 1)[0]
        try await withCleanup {
            try await body(database)
        } cleanup: {
            try? await database.close()
        }
    }

    @Test(.enabled(if: TestDatabase.isPostgres))
    func aRepeatedStatementIsPreparedOnceOnItsConnection() async throws {
        try await Self.withDatabase { database in
            for value in 1...3 {
                let row = try await database.read { sql in try await sql.raw("SELECT \(bind: value) + 1 AS n").first() }
                #expect(try row?.decode(column: "n", as: Int.self) == value + 1)
            }
            let prepared = try await database.read { sql in
                try await sql.raw("SELECT name FROM pg_prepared_statements WHERE statement = 'SELECT $1 + 1 AS n'").all()
            }
            // The first sighting went unnamed; the second prepared it; the third reused it.
            #expect(prepared.count == 1)
            #expect(try prepared.first?.decode(column: "name", as: String.self).hasPrefix("imagegate_") == true)
        }
    }

    @Test func valuesOfOtherTypesWhereANullWasBoundAreReadBackExactly() async throws {
        try await Self.withDatabase { database in
            try await database.transaction { sql in
                try await sql.raw("CREATE TABLE notes (id BIGINT PRIMARY KEY, note TEXT, size BIGINT)").run()
            }
            // PostgreSQL fixes a parameter's type when it prepares: prepared with NULLs (it takes the columns' types), the
            // same statement then binds a 4-byte integer and an 8-byte one into `size`, and a text into `note`.
            let rows: [(id: Int, note: String?, size: any Encodable & Sendable)] = [
                (1, nil, Int?.none), (2, nil, Int?.none), (3, nil, Int?.none),
                (4, "four", Int32(4)), (5, "five", Int32(5)), (6, "six", 6_000_000_000), (7, "seven", 7_000_000_000),
            ]
            for row in rows {
                try await database.transaction { sql in
                    try await sql.raw("INSERT INTO notes (id, note, size) VALUES (\(bind: row.id), \(bind: row.note), \(bind: row.size))").run()
                }
            }
            let read = try await database.read { sql in try await sql.raw("SELECT id, note, size FROM notes ORDER BY id").all() }
            #expect(try read.map { try $0.decode(column: "note", as: String?.self) } == rows.map(\.note))
            #expect(try read.map { try $0.decode(column: "size", as: Int?.self) } == [nil, nil, nil, 4, 5, 6_000_000_000, 7_000_000_000])
            // A NULL alone leaves PostgreSQL nothing to infer its type from: it is sent typed, as PostgresKit sends it.
            for _ in 0..<3 {
                let row = try await database.read { sql in try await sql.raw("SELECT \(bind: Int?.none) IS NULL AS empty").first() }
                #expect(try row?.decode(column: "empty", as: Bool.self) == true)
            }
        }
    }

    /// Each connection plans a prepared statement for its values at each run (a plan kept from a connection's first
    /// runs, on small tables, scanned `generations` whole once they had grown), and never by bitmap scan (which leaves
    /// the index entries of dead row versions for every later lookup to visit again).
    @Test(.enabled(if: TestDatabase.isPostgres))
    func everyConnectionPlansForTheValuesAtHandWithoutBitmapScans() async throws {
        try await Self.withDatabase { database in
            let settings = try await database.read { sql in
                try await sql.raw("SELECT current_setting('plan_cache_mode') AS plans, current_setting('enable_bitmapscan') AS bitmaps").first()
            }
            #expect(try settings?.decode(column: "plans", as: String.self) == "force_custom_plan")
            #expect(try settings?.decode(column: "bitmaps", as: String.self) == "off")
        }
    }

    /// During a rolling upgrade another replica's migration adds columns: a prepared `SELECT *` then returns another
    /// row type, which PostgreSQL refuses to run; the read and the transaction that ran it go on as if nothing happened.
    @Test(.enabled(if: TestDatabase.isPostgres))
    func statementsPreparedBeforeAnotherReplicaAddedAColumnRunAfterIt() async throws {
        let directory = try MigrationTests.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pools = try await TestDatabase.replicas(2, directory: directory, maxConnections: 1)
        let (database, other) = (pools[0], pools[1])
        try await database.transaction { sql in try await sql.raw("CREATE TABLE jobs (id BIGINT PRIMARY KEY)").run() }
        try await database.transaction { sql in try await sql.raw("INSERT INTO jobs (id) VALUES (\(bind: 1))").run() }
        let everything: @Sendable (any SQLDatabase) async throws -> Int = { sql in
            try await sql.raw("SELECT * FROM jobs WHERE id > \(bind: 0)").all().count
        }
        let bumped: @Sendable (any SQLDatabase) async throws -> Int = { sql in
            try await sql.raw("UPDATE jobs SET id = id WHERE id > \(bind: 0) RETURNING *").all().count
        }
        for _ in 0..<2 {  // prepared on the second run
            #expect(try await database.read(everything) == 1)
            #expect(try await database.transaction(bumped) == 1)
        }
        try await other.transaction { sql in try await sql.raw("ALTER TABLE jobs ADD COLUMN note TEXT").run() }
        #expect(try await database.read(everything) == 1)
        #expect(try await database.transaction(bumped) == 1)
        try await other.close()
        try await database.close()
    }

    /// A statement the connection had prepared keeps its name when a run fails on its values (a unique violation):
    /// only a failed preparation costs a name.
    @Test(.enabled(if: TestDatabase.isPostgres))
    func aFailedRunOfAPreparedStatementKeepsItsName() async throws {
        try await Self.withDatabase { database in
            try await database.transaction { sql in try await sql.raw("CREATE TABLE keys (id BIGINT PRIMARY KEY)").run() }
            let insert: @Sendable (Int) async throws -> Void = { id in
                try await database.transaction { sql in try await sql.raw("INSERT INTO keys (id) VALUES (\(bind: id))").run() }
            }
            try await insert(1)
            try await insert(2)  // prepared here
            await #expect(throws: (any Error).self) { try await insert(2) }
            try await insert(3)
            let names = try await database.read { sql in
                try await sql.raw("SELECT name FROM pg_prepared_statements WHERE statement = 'INSERT INTO keys (id) VALUES ($1)'").all()
            }
            #expect(names.count == 1)
        }
    }

    /// PostgresNIO keeps a failed preparation's error under its name for the connection's life: a statement first
    /// prepared inside a transaction PostgreSQL had already aborted must not fail ever after.
    @Test(.enabled(if: TestDatabase.isPostgres))
    func aStatementWhosePreparationFailedInAnAbortedTransactionWorksAfterwards() async throws {
        try await Self.withDatabase { database in
            let statement: @Sendable (any SQLDatabase) async throws -> Int? = { sql in
                try await sql.raw("SELECT \(bind: 41) + 1 AS n").first()?.decode(column: "n", as: Int.self)
            }
            #expect(try await database.read(statement) == 42)  // seen once: its next run prepares it
            let failedAfterTheAbort = try await database.transaction { sql in
                await #expect(throws: (any Error).self) { try await sql.raw("SELECT 1 / \(bind: 0) AS n").run() }
                // PostgreSQL refuses everything until the transaction ends, the preparation included.
                do {
                    _ = try await statement(sql)
                    return false
                } catch {
                    return true
                }
            }
            #expect(failedAfterTheAbort)
            #expect(try await database.read(statement) == 42)
            #expect(try await database.read(statement) == 42)
        }
    }
}
