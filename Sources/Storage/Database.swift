import SQLKit

/// The SQL dialects ImageGate's one code path supports. Only DDL differs between them.
public enum SQLDialectKind: String, Sendable {
    case sqlite
    case postgres
}

/// Access to ImageGate's relational state, whatever the engine behind it.
///
/// Every multi-statement change goes through `transaction`, so a crash leaves either all of it or none.
/// Implementations decide how concurrency is handled (SQLite: one writer at a time; PostgreSQL: row locks).
public protocol Database: Sendable {
    var dialect: SQLDialectKind { get }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs single-statement reads (or one-statement writes) outside an explicit transaction.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Cheap round trip used by `/health`.
    func ping() async throws

    /// Closes every connection.
    func close() async throws
}
