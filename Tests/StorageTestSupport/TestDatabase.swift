import Foundation
import Logging
import SQLKit
import Storage

/// The engine the suites run on. By default each test gets a SQLite file in its own directory; with
/// `IMAGEGATE_TEST_POSTGRES` set to an administrator's URL (`scripts/test` starts a PostgreSQL of its own and sets
/// it), each test gets a new database on that server instead — the same tests, the other engine.
package enum TestDatabase {
    /// The administrator's URL of the test PostgreSQL server, if the suite runs on PostgreSQL.
    package static var postgresAdminURL: String? {
        guard let url = ProcessInfo.processInfo.environment["IMAGEGATE_TEST_POSTGRES"], !url.isEmpty else { return nil }
        return url
    }

    package static var isPostgres: Bool { Self.postgresAdminURL != nil }

    /// Where a new test's database lives: nil for the data directory's SQLite file, or the URL of a new, empty
    /// PostgreSQL database.
    package static func makeLocation() async throws -> String? {
        guard let admin = Self.postgresAdminURL, var url = URLComponents(string: admin) else { return nil }
        let name = "test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let server = try await PostgresDatabase.open(url: admin, maxConnections: 1, logger: Self.logger)
        // CREATE DATABASE cannot take a bound parameter; the name is made here of hex digits only.
        try await withCleanup {
            try await server.read { sql in try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
        } cleanup: {
            try? await server.close()
        }
        url.path = "/\(name)"
        return url.string
    }

    /// Opens a new database with `schema` for a test that works on the database directly: a SQLite file in
    /// `directory`, or a new PostgreSQL database. A module's tests pass the tables they use (their target's steps and
    /// those of the targets below it), so they link no module above their own.
    package static func open(directory: String, schema: Migrations) async throws -> any Database {
        let database: any Database =
            if let url = try await Self.makeLocation() {
                try await PostgresDatabase.open(url: url, logger: Self.logger)
            } else {
                try await SQLiteDatabase.open(path: "\(directory)/db.sqlite", logger: Self.logger)
            }
        try await schema.run(on: database)
        return database
    }

    /// Opens one new database `count` times, as `count` replicas would: `count` connection pools to one new
    /// PostgreSQL database, or `count` handles on one SQLite file in `directory`. Not migrated.
    package static func replicas(_ count: Int, directory: String, maxConnections: Int = 2) async throws -> [any Database] {
        let location = try await Self.makeLocation()
        var databases: [any Database] = []
        for _ in 0..<count {
            if let url = location {
                databases.append(try await PostgresDatabase.open(url: url, maxConnections: maxConnections, logger: Self.logger))
            } else {
                databases.append(try await SQLiteDatabase.open(path: "\(directory)/shared.sqlite", logger: Self.logger))
            }
        }
        return databases
    }

    static var logger: Logger {
        var logger = Logger(label: "test-database")
        logger.logLevel = .warning
        return logger
    }
}
