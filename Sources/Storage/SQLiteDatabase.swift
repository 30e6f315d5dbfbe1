import Logging
import NIOConcurrencyHelpers
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The embedded database: one SQLite file in WAL mode, `synchronous=FULL`: every committed transaction is on disk
/// before `transaction` returns, because every write ImageGate makes is either money or an upstream handle, and a
/// power cut must lose neither (with `NORMAL`, WAL mode may roll back the last commits).
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
    /// SQLite's calls block a thread: they get threads of their own (one per connection), so that rendering or
    /// other blocking work on NIO's shared pool never delays a commit, a lease renewal or a read behind it.
    private let threadPool: NIOThreadPool

    /// Read connections: one query at a time runs on each, so a few let reads (output downloads, listings) overlap.
    static let readerCount = 4

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threadPool: NIOThreadPool) {
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
    }

    private var reader: SQLiteConnection {
        self.readers[self.nextReader.next() % self.readers.count]
    }

    /// Opens (creating if needed) the database file at `path`.
    public static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let threadPool = NIOThreadPool(numberOfThreads: Self.readerCount + 1)
        threadPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop).get()
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON"] {
            _ = try await writer.query(pragma)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<Self.readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop).get()
            _ = try await reader.query("PRAGMA busy_timeout=10000")
            readers.append(reader)
        }
        return SQLiteDatabase(writer: writer, readers: readers, threadPool: threadPool)
    }

    public func transaction<T: Sendable>(priority: TransactionPriority, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = self.writer
        return try await self.writeLock.withLock(urgent: priority == .urgent) {
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
        try await self.threadPool.shutdownGracefully()
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
