import Essentials
import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL (15 and later): the shared database of one or several replicas. Each transaction runs on one pooled
/// connection at READ COMMITTED, PostgreSQL's default: every write ImageGate makes is a guarded single-row `UPDATE`
/// (`… WHERE balance_micros >= …`), an `INSERT … ON CONFLICT` or a claim with `FOR UPDATE SKIP LOCKED`, which row
/// locks make exact under any concurrency, on one replica or many — never thanks to a single writer.
package final class PostgresDatabase: Database {
    package let dialect = SQLDialectKind.postgres
    private let client: PostgresClient
    private let running: Task<Void, Never>
    private let logger: Logger
    /// How long a caller waits for a pooled connection before `DatabaseUnavailableError` (see `withConnection`).
    let connectionWait: Duration
    /// The connections handed out so far, by which a waiter tells a busy pool from a dead one.
    private let leaseProgress = LeaseProgress()
    package let full = FullMark(.database)
    /// The statements this process prepares on each connection (see `PreparedStatementSQLDatabase`).
    private let statementNames = PreparedStatementNames()

    /// How many times at most a transaction runs when PostgreSQL aborted it to break a deadlock or a serialization
    /// conflict, or refused a stale prepared statement: its statements were all undone, so running it again is running
    /// it once.
    static let retries = 3

    private init(client: PostgresClient, running: Task<Void, Never>, connectionWait: Duration, logger: Logger) {
        self.client = client
        self.running = running
        self.connectionWait = connectionWait
        self.logger = logger
    }

    /// Connects to `postgres://user:password@host:port/database` (also `postgresql://`; `?sslmode=disable`,
    /// `prefer` (the default) or `require`), with at most `maxConnections` connections from this process. A caller
    /// that gets no connection within `connectionWait`, while nobody else gets one either (the server is gone), fails
    /// with `DatabaseUnavailableError`.
    package static func open(
        url: String,
        maxConnections: Int = 20,
        connectionWait: Duration = .seconds(10),
        logger: Logger
    ) async throws -> PostgresDatabase {
        var configuration = try Self.configuration(url: url)
        configuration.options.maximumConnections = maxConnections
        // Every commit waits for its WAL record on disk, whatever the server's default: each write is money or an
        // upstream handle (the same rule as SQLite's `synchronous=FULL`).
        // Prepared statements (`PreparedStatementSQLDatabase`) are planned at each run, for its values and the
        // tables' size then, as unnamed ones are: a generic plan kept from a connection's first runs, when the
        // tables were small, scanned `generations` whole on every claim once they had grown (measured: 4,900 full
        // scans in 15 s of B1). What preparing saves is the parsing and analysis.
        // Bitmap scans off: ImageGate's statements read a few rows through an index, and a bitmap scan never marks
        // the index entries of dead row versions as such (a plain index scan does). `generations` rows change status
        // several times a second under load, each change a new version and new index entries, so each lookup by
        // status walked every dead version again until the next vacuum (measured: 1,900 entries and 480 pages for
        // one queued row, after 15 s of B1).
        configuration.options.additionalStartupParameters = [
            ("synchronous_commit", "on"), ("plan_cache_mode", "force_custom_plan"), ("enable_bitmapscan", "off"),
        ]
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let running = Task { await client.run() }
        // Lets the pool's task start before the first lease (a lease made earlier waits for it, with a warning).
        await Task.yield()
        let database = PostgresDatabase(client: client, running: running, connectionWait: connectionWait, logger: logger)
        do {
            try await database.ping()
        } catch {
            running.cancel()
            throw error
        }
        return database
    }

    /// True for the URLs this class opens, so `--database` takes either a SQLite path or a PostgreSQL URL.
    package static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    static func configuration(url text: String) throws -> PostgresClient.Configuration {
        guard Self.isURL(text), let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw DatabaseURLError(message: "expected postgres://user:password@host:port/database")
        }
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw DatabaseURLError(message: "sslmode must be disable, prefer or require (got \(mode))")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        return PostgresClient.Configuration(
            host: host,
            port: url.port ?? 5432,
            username: url.user?.removingPercentEncoding ?? "postgres",
            password: url.password?.removingPercentEncoding,
            database: database.isEmpty ? nil : database,
            tls: tls
        )
    }

    /// Every lease of a pooled connection: bounded by `connectionWait` while the pool makes no progress (see
    /// `PostgresClient.withConnection(waitingAtMost:progress:_:)`).
    private func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await self.client.withConnection(waitingAtMost: self.connectionWait, progress: self.leaseProgress, body)
    }

    /// Runs `body` between `begin` and `COMMIT` on `connection`, rolled back when it throws. By hand rather than
    /// PostgresNIO's `withTransaction`, which wraps the body's errors: callers catch their own (an insufficient
    /// balance, a lost lease) by type. The control statements go unnamed: they take no values to prepare for.
    private func inTransaction<T: Sendable>(
        on connection: PostgresConnection,
        beginning begin: PostgresQuery,
        _ body: @Sendable (any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await connection.query(begin, logger: self.logger)
        let value: T
        do {
            value = try await body(self.sql(on: connection))
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: self.logger)
            throw error
        }
        try await connection.query("COMMIT", logger: self.logger)
        return value
    }

    /// SQLKit on `connection`, with this process's prepared statements.
    private func sql(on connection: PostgresConnection) -> any SQLDatabase {
        PreparedStatementSQLDatabase(connection: connection, names: self.statementNames)
    }

    /// Runs `body` in a transaction on one connection. The transaction runs in a task of its own, so a caller that
    /// goes away (a client hung up) never leaves a connection between `BEGIN` and `COMMIT` back in the pool.
    package func transaction<T: Sendable>(priority: TransactionPriority, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        let logger = self.logger
        // The task is awaited to its end (`value` waits even when the caller is cancelled), so `body` never outlives
        // this call.
        return try await withoutActuallyEscaping(body) { body in
            try await Task {
                var attempt = 0
                while true {
                    attempt += 1
                    do {
                        let value = try await self.withConnection { connection in
                            try await self.inTransaction(on: connection, beginning: "BEGIN", body)
                        }
                        self.full.noteWrite()
                        return value
                    } catch let error where attempt < Self.retries && Self.isTransient(error) {
                        logger.debug("transaction retried", metadata: ["error": "\(String(reflecting: error))"])
                    } catch {
                        throw self.full.database(error)
                    }
                }
            }.value
        }
    }

    /// Deadlocks and serialization failures: PostgreSQL undid the whole transaction and asks for it again. And a
    /// stale prepared statement (`isStalePlan`): the statement never ran, and runs again prepared anew.
    static func isTransient(_ error: any Error) -> Bool {
        let state = (error as? PSQLError)?.serverInfo?[.sqlState]
        return state == "40P01" || state == "40001" || Self.isStalePlan(error)
    }

    /// A prepared statement whose tables gained columns since it was prepared, by another replica's migration during
    /// a rolling upgrade (`SELECT *` and `RETURNING *` then return a new row type): PostgreSQL refuses to run it,
    /// before it does anything. `PreparedStatementNames` then gives up the names given before it, so the statements
    /// run again prepared anew.
    static func isStalePlan(_ error: any Error) -> Bool {
        guard let info = (error as? PSQLError)?.serverInfo else { return false }
        // By the reporting routine, not the message, which the server translates (`lc_messages`).
        return info[.sqlState] == "0A000" && info[.routine] == "RevalidateCachedQuery"
    }

    package func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        do {
            return try await Self.onceMoreAfterStalePlan {
                try await self.withConnection { connection in try await body(self.sql(on: connection)) }
            }
        } catch {
            throw self.full.database(error)
        }
    }

    /// Runs `work` again, once, if a prepared statement's plan had gone stale: the refused statement did nothing
    /// (`isStalePlan`), and the statements run again prepared anew (`PreparedStatementNames`).
    private static func onceMoreAfterStalePlan<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch  where Self.isStalePlan(error) {
            return try await work()
        }
    }

    /// A read-only REPEATABLE READ transaction: every statement sees the database as of the first one.
    package func snapshot<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await Self.onceMoreAfterStalePlan {
            try await self.withConnection { connection in
                try await self.inTransaction(on: connection, beginning: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
            }
        }
    }

    /// Listens on one pooled connection; after a lost connection it listens again a second later (a listener missing
    /// an event meanwhile is covered by its own periodic look: waiters re-read, workers are woken by the sweeper).
    package func notifications(on channel: NotificationChannel) -> AsyncStream<String>? {
        let logger = self.logger
        return AsyncStream { continuation in
            let listening = Task {
                while !Task.isCancelled {
                    do {
                        try await self.withConnection { connection in
                            try await connection.listen(on: channel.name) { notifications in
                                for try await notification in notifications { continuation.yield(notification.payload) }
                            }
                        }
                    } catch {
                        if !Task.isCancelled {
                            logger.warning("listening failed", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
                        }
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in listening.cancel() }
        }
    }

    /// Holds a session advisory lock on one connection for the chore's duration (`pg_try_advisory_lock`, so a busy
    /// chore is skipped, not waited for). A process that dies loses its connection, and with it the lock.
    package func exclusively(_ name: ExclusiveChore, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        try await self.withConnection { connection in
            let sql = self.sql(on: connection)
            let locked =
                try await sql.raw("SELECT pg_try_advisory_lock(\(bind: name.lockKey)) AS locked").first()?
                .decode(column: "locked", as: Bool.self) ?? false
            guard locked else { return false }
            do {
                try await body()
            } catch {
                _ = try? await sql.raw("SELECT pg_advisory_unlock(\(bind: name.lockKey))").run()
                throw error
            }
            try await sql.raw("SELECT pg_advisory_unlock(\(bind: name.lockKey))").run()
            return true
        }
    }

    package func ping() async throws {
        _ = try await self.read { sql in try await sql.raw("SELECT 1").all() }
    }

    package func close() async throws {
        self.running.cancel()
        await self.running.value
    }
}

/// A `--database` URL that cannot be used.
package struct DatabaseURLError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { "invalid database URL: \(self.message)" }
}
