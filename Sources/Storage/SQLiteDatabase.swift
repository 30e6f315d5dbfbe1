import Essentials
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import Synchronization

/// The embedded database: one SQLite file in WAL mode, `synchronous=FULL`: every committed transaction is on disk
/// before `transaction` returns, because every write ImageGate makes is either money or an upstream handle, and a
/// power cut must lose neither (with `NORMAL`, WAL mode may roll back the last commits).
///
/// Writes (and every transaction) go through one connection behind a FIFO lock, because SQLite has a single
/// writer anyway and a shared connection must never mix two tasks' statements. Durable commits cost an fsync each,
/// so transactions that arrive while another runs are committed together (group commit, as PostgreSQL and InnoDB
/// do): each runs in a savepoint of one SQLite transaction (its failure undoes only its own statements), and none
/// returns before the commit that covers it is on disk. Reads use a few more connections,
/// taken in turn, which WAL lets run beside the writer and beside each other.
package final class SQLiteDatabase: Database {
    package let dialect = SQLDialectKind.sqlite
    private let writer: SQLiteConnection
    private let readers: [SQLiteConnection]
    private let nextReader = ManagedAtomicCounter()
    private let writeLock = AsyncMutex()
    /// The transactions in the open SQLite transaction, waiting for its commit; touched only under `writeLock`.
    private let batch = Mutex(CommitBatch())
    /// SQLite's calls block a thread: they get threads of their own (one per connection), so that rendering or
    /// other blocking work on NIO's shared pool never delays a commit, a lease renewal or a read behind it.
    private let threadPool: NIOThreadPool

    /// Most transactions one commit may cover: a bound on how long the first of them waits for its answer.
    static let maxBatch = 32

    /// Read connections: one query at a time runs on each, so a few let reads (output downloads, listings) overlap.
    static let readerCount = 4

    /// The database file, for connections of their own (snapshots).
    private let path: String
    let logger: Logger
    package let full = FullMark(.database)

    private init(writer: SQLiteConnection, readers: [SQLiteConnection], threadPool: NIOThreadPool, path: String, logger: Logger) {
        self.writer = writer
        self.readers = readers
        self.threadPool = threadPool
        self.path = path
        self.logger = logger
    }

    private var reader: SQLiteConnection {
        self.readers[self.nextReader.next() % self.readers.count]
    }

    /// Opens (creating if needed) the database file at `path`. The file, and SQLite's `-wal` and `-shm` beside it,
    /// are readable by their owner only: they hold the output-link secret, webhook secrets and every account's books.
    package static func open(path: String, logger: Logger) async throws -> SQLiteDatabase {
        let threadPool = NIOThreadPool(numberOfThreads: Self.readerCount + 1)
        threadPool.start()
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        if !FileManager.default.fileExists(atPath: path) {
            // Created owner-only before SQLite opens it, so the books are never readable by others, even briefly.
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let writer = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop).get()
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA busy_timeout=10000", "PRAGMA foreign_keys=ON"] {
            _ = try await writer.query(pragma)
        }
        // SQLite gives `-wal` and `-shm` the main file's mode; a file made by an older version (0644) is narrowed too.
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        }
        var readers: [SQLiteConnection] = []
        for _ in 0..<Self.readerCount {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), threadPool: threadPool, logger: logger, on: eventLoop).get()
            _ = try await reader.query("PRAGMA busy_timeout=10000")
            readers.append(reader)
        }
        return SQLiteDatabase(writer: writer, readers: readers, threadPool: threadPool, path: path, logger: logger)
    }

    package func transaction<T: Sendable>(priority: TransactionPriority, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            let value = try await self.batchedTransaction(priority: priority, body)
            self.full.noteWrite()
            return value
        } catch {
            throw self.full.database(error)
        }
    }

    /// A transaction as a member of the open batch (see the type's comment).
    private func batchedTransaction<T: Sendable>(
        priority: TransactionPriority,
        _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        let connection = self.writer
        let (outcome, ticket) = try await self.writeLock.withLock(urgent: priority == .urgent) {
            () async throws -> (Result<T, any Error>, CommitTicket) in
            let sql = connection.sql()
            if !self.batch.withLock({ $0.isOpen }) {
                try await self.begin()
                self.batch.withLock { $0.isOpen = true }
            }
            do {
                try await self.control("SAVEPOINT member")
            } catch {
                await self.abandonBatch(on: sql, because: error)
                throw error
            }
            let outcome: Result<T, any Error>
            do {
                outcome = .success(try await body(sql))
            } catch {
                outcome = .failure(error)
            }
            do {
                // A failed transaction's statements are undone; the batch goes on for the others.
                if case .failure = outcome { try await self.control("ROLLBACK TO member") }
                try await self.control("RELEASE member")
            } catch {
                await self.abandonBatch(on: sql, because: error)
                if case .failure(let own) = outcome { throw own }
                throw error
            }
            let ticket = CommitTicket()
            self.batch.withLock { $0.tickets.append(ticket) }
            await self.commitBatchUnlessOthersWait(on: sql)
            return (outcome, ticket)
        }
        // Even a failed transaction waits for the batch it ran in: whoever ends a transaction then sees, from any
        // connection, everything committed before it (a caller that lost a race reads the winner's row next).
        do {
            try await ticket.wait()
        } catch {
            if case .failure(let own) = outcome { throw own }
            throw error
        }
        return try outcome.get()
    }

    /// Runs a transaction-control statement on the writer whatever happens to the calling task: a statement of the
    /// async API is skipped when its task is cancelled (a client that hung up, a lease renewal stopped), and a
    /// skipped COMMIT or ROLLBACK would leave SQLite inside a transaction that this object thinks is closed, holding
    /// the write lock for good. An `EventLoopFuture` runs to its end.
    private func control(_ statement: String) async throws {
        try await self.writer.query(statement, [], logger: self.logger, { _ in }).get()
    }

    /// Opens the SQLite transaction of a new batch.
    private func begin() async throws {
        do {
            try await self.control("BEGIN IMMEDIATE")
        } catch {
            // A batch whose COMMIT and ROLLBACK both failed (an I/O error, a full disk) can leave SQLite inside its
            // transaction, though every member was told it failed: undo it and start afresh, once.
            try? await self.control("ROLLBACK")
            try await self.control("BEGIN IMMEDIATE")
        }
    }

    /// Commits the open batch, unless another transaction is waiting for the lock and the batch has room: that one
    /// (or the last of them) commits it, so one fsync covers them all. Urgent members (lease renewals, settlements)
    /// join batches like the others: they go first in the lock's queue, and then wait at most for the bodies of the
    /// batch's other members (milliseconds, far inside a lease). Committing each urgent one at once was measured:
    /// it cost a quarter of B1's throughput, since most of a generation's writes are urgent (docs/benchmarks.md).
    /// Called with the write lock held.
    private func commitBatchUnlessOthersWait(on sql: any SQLDatabase) async {
        let size = self.batch.withLock { $0.tickets.count }
        if size < Self.maxBatch, await self.writeLock.hasWaiters { return }
        let outcome: Result<Void, any Error>
        do {
            try await self.control("COMMIT")
            outcome = .success(())
        } catch {
            try? await self.control("ROLLBACK")
            outcome = .failure(error)
        }
        for ticket in self.batch.withLock({ $0.close() }) { ticket.complete(outcome) }
    }

    /// Rolls the open batch back after SQLite itself failed (the transaction may already be gone): every transaction
    /// in it learns that nothing of it was committed. Called with the write lock held.
    private func abandonBatch(on sql: any SQLDatabase, because error: any Error) async {
        try? await self.control("ROLLBACK")
        for ticket in self.batch.withLock({ $0.close() }) { ticket.complete(.failure(error)) }
    }

    package func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await body(self.reader.sql())
        } catch {
            throw self.full.database(error)
        }
    }

    /// A read transaction on a connection of its own (a shared reader's statements would join it): in WAL mode it
    /// sees the database as of its first read until it ends, whatever is committed meanwhile.
    package func snapshot<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let connection = try await SQLiteConnection.open(
            storage: .file(path: self.path),
            threadPool: self.threadPool,
            logger: self.logger,
            on: MultiThreadedEventLoopGroup.singleton.any()
        ).get()
        do {
            let sql = connection.sql()
            _ = try await connection.query("PRAGMA busy_timeout=10000")
            try await sql.raw("BEGIN").run()
            let result = try await body(sql)
            try await sql.raw("COMMIT").run()
            try await Self.close(connection)
            return result
        } catch {
            try? await Self.close(connection)
            throw error
        }
    }

    /// Closes a connection of its own whatever happens to the calling task (the future runs to its end, where the
    /// async call would be skipped by a cancelled task and leak the connection).
    private static func close(_ connection: SQLiteConnection) async throws {
        let closing: EventLoopFuture<Void> = connection.close()
        try await closing.get()
    }

    package func ping() async throws {
        _ = try await self.reader.sql().raw("SELECT 1").all()
    }

    /// One process owns a SQLite file: it tells itself, and nobody else exists to hear or to announce.
    package func notifications(on channel: NotificationChannel) -> AsyncStream<String>? { nil }

    /// One process owns a SQLite file, so a chore is always this process's to run.
    package func exclusively(_ name: ExclusiveChore, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        try await body()
        return true
    }

    package func close() async throws {
        for reader in self.readers { try await reader.close() }
        try await self.writer.close()
        try await self.threadPool.shutdownGracefully()
    }
}

/// The transactions waiting for the commit of the open SQLite transaction.
struct CommitBatch {
    var isOpen = false
    var tickets: [CommitTicket] = []

    /// Ends the batch and hands back its tickets.
    mutating func close() -> [CommitTicket] {
        defer {
            self.isOpen = false
            self.tickets = []
        }
        return self.tickets
    }
}

/// A lock-protected round-robin counter.
final class ManagedAtomicCounter: Sendable {
    private let value = Mutex(0)

    func next() -> Int {
        self.value.withLock { value in
            value &+= 1
            return value & Int.max
        }
    }
}
