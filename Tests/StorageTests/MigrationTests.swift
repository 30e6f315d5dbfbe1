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

    /// Two targets' tables, with parts of one version in each (as version 1 is): the second target's tables reference
    /// the first's, so its parts must run after them.
    static let schema = Migrations([
        [
            MigrationStep(version: 1) { _ in ["CREATE TABLE owners (id TEXT PRIMARY KEY)"] },
            MigrationStep(version: 3) { _ in ["ALTER TABLE owners ADD COLUMN name TEXT"] },
        ],
        [
            MigrationStep(version: 1) { _ in ["CREATE TABLE pets (id TEXT PRIMARY KEY, owner_id TEXT NOT NULL REFERENCES owners(id))"] },
            MigrationStep(version: 2) { _ in ["ALTER TABLE pets ADD COLUMN name TEXT"] },
        ],
    ])

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let databases = try await Self.replicas(4, directory: directory)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for database in databases { group.addTask { try await Self.schema.run(on: database) } }
            try await group.waitForAll()
        }
        let versions = try await databases[0].read { sql in
            try await sql.raw("SELECT version FROM schema_migrations ORDER BY version").all().map { try $0.decode(column: "version", as: Int.self) }
        }
        #expect(versions == [1, 2, 3])
        // Every target's part of every version ran, in the order the targets were listed.
        try await databases[0].transaction { sql in
            try await sql.raw("INSERT INTO owners (id, name) VALUES ('o', 'Ann')").run()
            try await sql.raw("INSERT INTO pets (id, owner_id, name) VALUES ('p', 'o', 'Rex')").run()
        }
        for database in databases { try await database.close() }
    }

    @Test func aSchemaNewerThanThisImageGateIsRefused() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory, schema: Self.schema)
        try await database.transaction { sql in
            try await sql.raw("INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: Self.schema.latestVersion + 1), 0)").run()
        }
        await #expect(throws: SchemaTooNewError.self) { try await Self.schema.run(on: database) }
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
