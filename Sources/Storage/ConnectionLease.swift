import Essentials
import PostgresNIO
import Synchronization

/// No database connection could be had, and the pool handed out none to anyone else either, for the whole wait:
/// PostgreSQL is down or unreachable. Answered as 503 with `Retry-After`; nothing was written.
package struct DatabaseUnavailableError: UnavailableDependency, CustomStringConvertible, Sendable {
    package let waited: Duration
    package var description: String { "no database connection within \(self.waited)" }
    package var dependencyName: String { "The database" }
    package var retryAfterSeconds: Int { 5 }
}

extension PostgresClient {
    /// `withConnection`, giving up with `DatabaseUnavailableError` when no connection is leased within `limit` while
    /// the pool makes no progress either (`progress`: it handed out no connection to anyone in that time).
    ///
    /// PostgresNIO's lease waits without a deadline while the server is unreachable (the pool keeps reconnecting),
    /// so a request, a lease renewal or a shutdown giving leases back would hang for as long as the database is
    /// gone. A pool that is merely busy (a burst of requests queued for its connections) keeps handing connections
    /// out, and its waiters keep waiting: only a dead one is given up on. Only the wait for a connection is bounded:
    /// once `body` starts, it runs to its end, so a transaction is never cut between its statements by this deadline.
    func withConnection<T: Sendable>(
        waitingAtMost limit: Duration,
        progress: LeaseProgress,
        _ body: @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let race = LeaseRace()
        return try await withoutActuallyEscaping(body) { body in
            try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask {
                    try await self.withConnection { connection in
                        // The deadline passed just as the connection came: give it back unused.
                        guard race.start() else { throw DatabaseUnavailableError(waited: limit) }
                        progress.leased()
                        return try await body(connection)
                    }
                }
                group.addTask {
                    var seen = progress.count
                    while true {
                        // Cancelled (the body returned, or the caller went away): not a timeout; the body's task decides.
                        do { try await Task.sleep(for: limit) } catch { return nil }
                        let now = progress.count
                        if now == seen, race.abandon() { throw DatabaseUnavailableError(waited: limit) }
                        if !race.isWaiting { return nil }  // the body started; its own result ends the group
                        seen = now  // others got connections meanwhile: the pool is busy, not dead
                    }
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

/// Counts the connections a pool hands out, so a waiter can tell a busy pool from a dead one.
final class LeaseProgress: Sendable {
    private let leases = Atomic<Int>(0)

    func leased() { self.leases.add(1, ordering: .relaxed) }
    var count: Int { self.leases.load(ordering: .relaxed) }
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

    /// Neither has happened yet.
    var isWaiting: Bool { self.state.withLock { $0 == .waiting } }

    /// The deadline passed: true unless the body already started.
    func abandon() -> Bool {
        self.state.withLock { state in
            guard state == .waiting else { return false }
            state = .abandoned
            return true
        }
    }
}
