import PostgresNIO
import Synchronization

/// No database connection could be had within the wait: PostgreSQL is down or unreachable, or the pool stayed
/// exhausted. Answered as 503 with `Retry-After`; nothing was written.
public struct DatabaseUnavailableError: Error, CustomStringConvertible, Sendable {
    public let waited: Duration
    public var description: String { "no database connection within \(self.waited)" }
}

extension PostgresClient {
    /// `withConnection`, giving up with `DatabaseUnavailableError` when no connection is leased within `limit`.
    ///
    /// PostgresNIO's lease waits without a deadline while the server is unreachable (the pool keeps reconnecting),
    /// so a request, a lease renewal or a shutdown giving leases back would hang for as long as the database is
    /// gone. Only the wait for a connection is bounded: once `body` starts, it runs to its end, so a transaction is
    /// never cut between its statements by this deadline.
    func withConnection<T: Sendable>(
        waitingAtMost limit: Duration,
        _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let race = LeaseRace()
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.withConnection { connection in
                        // The deadline passed just as the connection came: give it back unused.
                        guard race.start() else { throw DatabaseUnavailableError(waited: limit) }
                        return try await body(connection)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: limit)
                    if race.abandon() { throw DatabaseUnavailableError(waited: limit) }
                    return nil  // the body started in time; its own result ends the group
                }
                while let next = try await group.next() {
                    if let value = next {
                        group.cancelAll()  // stops the timer
                        return value
                    }
                }
                throw DatabaseUnavailableError(waited: limit)  // unreachable: the body's task returns a value or throws
            }
        }
    }
}

/// Who won between a connection arriving and the deadline passing: exactly one of `start` and `abandon` succeeds.
private final class LeaseRace: Sendable {
    private enum State { case waiting, started, abandoned }
    private let state = Mutex(State.waiting)

    /// The connection came: true unless the deadline already passed.
    func start() -> Bool {
        self.state.withLock { state in
            guard state == .waiting else { return false }
            state = .started
            return true
        }
    }

    /// The deadline passed: true unless the body already started.
    func abandon() -> Bool {
        self.state.withLock { state in
            guard state == .waiting else { return false }
            state = .abandoned
            return true
        }
    }
}
