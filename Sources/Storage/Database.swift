import SQLKit

/// The SQL dialects ImageGate's one code path supports. Only DDL differs between them.
public enum SQLDialectKind: String, Sendable {
    case sqlite
    case postgres
}

/// How soon a transaction must run when others are waiting.
public enum TransactionPriority: Sendable {
    /// In turn: admitting new work (a submit's hold), operator writes.
    case normal
    /// Ahead of the normal ones: the writes of work already admitted (a run's claim, its lease, its upstream handle,
    /// its settlement). Work in progress finishes before new work is admitted, so a saturated server's tail latency
    /// stays bounded, and the window between an upstream's answer and saving its handle stays short.
    case urgent
}

/// Access to ImageGate's relational state, whatever the engine behind it.
///
/// Every multi-statement change goes through `transaction`, so a crash leaves either all of it or none.
/// Implementations decide how concurrency is handled (SQLite: one writer at a time; PostgreSQL: row locks).
public protocol Database: Sendable {
    var dialect: SQLDialectKind { get }

    /// Runs `body` in one transaction: committed (durably) when it returns, rolled back when it throws.
    func transaction<T: Sendable>(priority: TransactionPriority, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs single-statement reads (or one-statement writes) outside an explicit transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs several reads that must agree with each other (the audit) against one consistent view of the
    /// database, while writers go on. Nothing may be written in `body`.
    func snapshot<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Cheap round trip used by `/health`.
    func ping() async throws

    /// The ids of generations that other processes on this database end, as they commit (see
    /// `SQLDatabase.announceEnd`), for the waiters of this process; nil when no other process can share the database
    /// (SQLite), so only this process's own ends matter. Reconnects by itself; ends when the task is cancelled.
    func endedGenerations() -> AsyncStream<String>?

    /// Runs `body` unless another process on this database is running a body under the same `name` (then returns
    /// false at once): periodic chores that one replica at a time should do (the janitor, the lease sweeper).
    /// PostgreSQL holds an advisory lock for the duration, which dies with its connection if the process dies.
    func exclusively(_ name: ExclusiveChore, _ body: @Sendable () async throws -> Void) async throws -> Bool

    /// Closes every connection.
    func close() async throws
}

extension Database {
    /// Runs `body` in one transaction, in turn.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.transaction(priority: .normal, body)
    }
}

/// A chore that one process at a time runs, named by the advisory lock key it holds on PostgreSQL.
public struct ExclusiveChore: Sendable, Hashable {
    public let lockKey: Int64

    /// The expired-output and orphan janitor.
    public static let janitor = ExclusiveChore(lockKey: 0x4947_0001)
    /// The sweep that hands expired leases and forgotten queued generations to the workers.
    public static let leaseSweeper = ExclusiveChore(lockKey: 0x4947_0002)
}

extension SQLDatabase {
    /// Announces, when the enclosing transaction commits, that generation `id` ended: PostgreSQL's `NOTIFY`, which
    /// every replica listening hears (see `Database.endedGenerations`). Nothing on SQLite, where one process owns the
    /// file and wakes its own waiters.
    public func announceEnd(_ id: String) async throws {
        guard self.dialect.name == "postgresql" else { return }
        try await self.raw("SELECT pg_notify(\(bind: PostgresChannels.generationEnded), \(bind: id))").run()
    }
}

/// The notification channels ImageGate uses on PostgreSQL.
public enum PostgresChannels {
    public static let generationEnded = "imagegate_generation_ended"
}
