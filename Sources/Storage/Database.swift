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

    /// Closes every connection.
    func close() async throws
}

extension Database {
    /// Runs `body` in one transaction, in turn.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.transaction(priority: .normal, body)
    }
}
