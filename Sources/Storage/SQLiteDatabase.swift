import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The embedded database: one SQLite file in WAL mode.
///
/// Writes (and every transaction) go through one connection behind a FIFO lock, because SQLite has a single
/// writer anyway and a shared connection must never mix two tasks' statements. Reads use a few more connections,
/// taken in turn, which WAL lets run beside the writer and beside each other.
public final class SQLiteDatabase: Database {
    public let dialect = SQLDialectKind.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let nextReader = ManagedAtomicCounter()
    private let writeLock = AsyncMutex()

    /// Read connections: one query at a time runs on each, so a few let reads (output downloads, listings) overlap.
    static let readerCount = 4

    private init(writer: SQLiteConnection, readers: [SQLiteConnection]) {
        self.writer = writer
        self.readers = readers
    }

    private var reader: SQLiteConnection {
        self.readers[self.nextReader.next() % self.readers.count]
    }

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON"] {
            _ = try await writer.query(pragma)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<Self.readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            _ = try await reader.query("PRAGMA busy_timeout=10000")
            readers.append(reader)
        }
        return SQLiteDatabase(writer: writer, readers: readers)
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = self.writer
        return try await self.writeLock.withLock {
            let sql = connection.sql()
            try await sql.raw("BEGIN IMMEDIATE").run()
            do {
                let result = try await body(sql)
                try await sql.raw("COMMIT").run()
                return result
            } catch {
                try? await sql.raw("ROLLBACK").run()
                throw error
            }
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await body(self.reader.sql())
    }

    public func ping() async throws {
        _ = try await self.reader.sql().raw("SELECT 1").all()
    }

    public func close() async throws {
        for reader in self.readers { try await reader.close() }
        try await self.writer.close()
    }
}

/// A lock-protected round-robin counter.
final class ManagedAtomicCounter: Sendable {
    private let value = NIOLockedValueBox(0)

    func next() -> Int {
        self.value.withLockedValue { value in
            value &+= 1
            return value & Int.max
        }
    }
}
