import Foundation
import Logging
import SQLKit
import StorageTestSupport
import Testing

@testable import Storage

/// The schema on either engine: several replicas starting together migrate once, and a database migrated by a newer
/// ImageGate is refused.
@Suite struct MigrationTests {
    static let logger = Logger(label: "migration-test")

    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("migrations-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Opens the same new database `count` times, as `count` replicas would (not migrated).
    static func replicas(_ count: Int, directory: String) async throws -> [any Database] {
        try await TestDatabase.replicas(count, directory: directory)
    }

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let databases = try await Self.replicas(4, directory: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for database in databases { group.addTask { try await Migrations.run(on: database) } }
            try await group.waitForAll()
        }
        let versions = try await databases[0].read { sql in
            try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all().map { try $0.decode(column: "version", as: Int.self) }
        }
        #expect(versions == Array(1...Migrations.latestVersion))
        for database in databases { try await database.close() }
    }

    @Test func aSchemaNewerThanThisImageGateIsRefused() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory)
        try await database.transaction { sql in
            try await sql.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: Migrations.latestVersion + 1), 0)").run()
        }
        await #expect(throws: SchemaTooNewError.self) { try await Migrations.run(on: database) }
        try await database.close()
    }

    @Test func postgresURLsAreReadWithTheirTLSMode() throws {
        let plain = try PostgresDatabase.configuration(url: "postgres://gate:s%40cret@db.internal:6543/books?sslmode=disable")
        #expect(plain.host == "db.internal" && plain.port == 6543)
        #expect(plain.username == "gate" && plain.password == "s@cret" && plain.database == "books")
        let defaults = try PostgresDatabase.configuration(url: "postgresql://gate@db.internal/books")
        #expect(defaults.port == 5432 && defaults.password == nil)
        #expect(throws: DatabaseURLError.self) { try PostgresDatabase.configuration(url: "postgres:///books") }
        #expect(throws: DatabaseURLError.self) { try PostgresDatabase.configuration(url: "postgres://h/db?sslmode=sometimes") }
        #expect(PostgresDatabase.isURL("postgres://h/db") && !PostgresDatabase.isURL("./data/imagegate.sqlite"))
    }
}
