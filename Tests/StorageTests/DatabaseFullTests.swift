import Essentials
import Foundation
import SQLKit
import StorageTestSupport
import Testing

@testable import Storage

/// A database that refuses a write for want of space says so as `StorageFullError` (answered `503 storage_full`),
/// and keeps saying it until a write succeeds again (issue 23, item 12).
@Suite struct DatabaseFullTests {
    @Test func aWriteRefusedForSpaceIsStorageFullUntilAWriteSucceeds() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory, schema: Migrations([Migrations.storageSteps]))
        try await withCleanup {
            try await database.transaction { sql in try await sql.raw("CREATE TABLE filler (text TEXT NOT NULL)").run() }
            #expect(!database.full.isFull())

            let refused = await #expect(throws: StorageFullError.self) {
                try await Self.writeUntilRefused(database)
            }
            #expect(refused?.store == .database)
            #expect(refused?.code == "storage_full" && refused?.retryAfterSeconds == 30)
            #expect(database.full.isFull(), "the refusal is remembered, for new work and /ready")
            #expect(try await database.read { sql in try await sql.raw("SELECT 1 AS one").first() } != nil, "reads go on")
            #expect(!database.full.isFull(at: Timestamp.nowMillis() + 10_000), "after the window, writes are tried again")

            // Room again: the next write that succeeds clears it.
            try await Self.makeRoom(database)
            try await database.transaction { sql in try await sql.raw("INSERT INTO filler (text) VALUES ('ok')").run() }
            #expect(!database.full.isFull())
        } cleanup: {
            try? await database.close()
        }
    }

    /// SQLite: the file may not grow past its present size (`max_page_count`, on the writer that transactions use),
    /// so inserts fail with `SQLITE_FULL` as on a full disk. PostgreSQL: the server raises its own `53100
    /// disk_full` (a full tablespace cannot be made here), through the same client path a real one takes.
    static func writeUntilRefused(_ database: any Database) async throws {
        if database.dialect == .postgres {
            try await database.transaction { sql in
                try await sql.raw("DO $$ BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = '53100'; END $$").run()
            }
            return
        }
        try await database.transaction { sql in
            let pages = try await sql.raw("PRAGMA page_count").first()?.decode(column: "page_count", as: Int.self) ?? 1
            try await sql.raw("PRAGMA max_page_count = \(unsafeRaw: String(pages))").run()
        }
        for _ in 0..<1_000 {
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO filler (text) VALUES (\(bind: String(repeating: "x", count: 4_000)))").run()
            }
        }
        Issue.record("1,000 inserts of 4 kB never filled the file")
    }

    static func makeRoom(_ database: any Database) async throws {
        guard database.dialect == .sqlite else { return }
        try await database.transaction { sql in try await sql.raw("PRAGMA max_page_count = 1073741823").run() }
    }
}
