import Essentials
import SQLKit

/// The SQL dialects ImageGate's one code path supports. Only DDL differs between them.
package enum SQLDialectKind: String, Sendable {
    case sqlite
    case postgres
}

/// How soon a transaction must run when others are waiting.
package enum TransactionPriority: Sendable {
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
package protocol Database: Sendable {
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

    /// Whether the database refused a write for want of space lately (see `FullMark`): new work is refused before
    /// any hold while it is set, and `/ready` says so.
    var full: FullMark { get }

    /// The payloads announced on `channel` by every process on this database as their transactions commit (see
    /// `SQLDatabase.announce`); nil when no other process can share the database (SQLite), so only this process's
    /// own events matter. Reconnects by itself; ends when the task is cancelled.
    func notifications(on channel: NotificationChannel) -> AsyncStream<String>?

    /// Runs `body` unless another process on this database is running a body under the same `name` (then returns
    /// false at once): periodic chores that one replica at a time should do (the janitor, the lease sweeper).
    /// PostgreSQL holds an advisory lock for the duration, which dies with its connection if the process dies.
    func exclusively(_ name: ExclusiveChore, _ body: @Sendable () async throws -> Void) async throws -> Bool

    /// Closes every connection.
    func close() async throws
}

extension Database {
    /// The ids of generations other processes end, for the waiters of this process (see `SQLDatabase.announceEnd`).
    package func endedGenerations() -> AsyncStream<String>? {
        self.notifications(on: .generationEnded)
    }

    /// Runs `body` in one transaction, in turn.
    package func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.transaction(priority: .normal, body)
    }
}

/// A chore that one process at a time runs, named by the advisory lock key it holds on PostgreSQL.
package struct ExclusiveChore: Sendable, Hashable {
    package let lockKey: Int64

    /// The expired-output and orphan janitor.
    package static let janitor = ExclusiveChore(lockKey: 0x4947_0001)
    /// The sweep that wakes every replica's idle workers when expired leases or forgotten queued generations wait.
    package static let leaseSweeper = ExclusiveChore(lockKey: 0x4947_0002)
}

extension SQLDatabase {
    /// Announces `payload` on `channel` when the enclosing transaction commits (at once outside one): PostgreSQL's
    /// `NOTIFY`, which every replica listening hears (see `Database.notifications`). Nothing on SQLite, where one
    /// process owns the file and tells itself directly.
    package func announce(_ channel: NotificationChannel, _ payload: String = "") async throws {
        guard self.dialect.name == "postgresql" else { return }
        try await self.raw("SELECT pg_notify(\(bind: channel.name), \(bind: payload))").run()
    }

    /// Announces that generation `id` ended, so waiters on every replica answer at once.
    package func announceEnd(_ id: String) async throws {
        try await self.announce(.generationEnded, id)
    }
}

/// A channel of notifications between the processes sharing one database (PostgreSQL's `LISTEN`/`NOTIFY`).
package struct NotificationChannel: Sendable, Hashable {
    package let name: String

    /// A generation ended; the payload is its id.
    package static let generationEnded = NotificationChannel(name: "imagegate_generation_ended")
    /// There is work for an idle worker to claim (a replica with no idle worker accepted a generation, or the
    /// sweeper found expired leases); no payload.
    package static let workAvailable = NotificationChannel(name: "imagegate_work_available")
}
