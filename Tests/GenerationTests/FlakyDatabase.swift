import Essentials
import SQLKit
import Storage
import Synchronization

/// A real database that fails the next N transactions on purpose, as a locked or briefly unavailable database
/// would (the error a busy SQLite or a dropped PostgreSQL connection gives), to prove the engine recovers
/// without a restart.
final class FlakyDatabase: Database {
    let base: any Database
    private let failures = Mutex(0)
    private let lostAnswers = Mutex(0)

    struct InjectedFailure: Error {}

    init(base: any Database) {
        self.base = base
    }

    var dialect: SQLDialectKind { self.base.dialect }

    /// The next `count` transactions throw before touching the database.
    func failNextTransactions(_ count: Int) {
        self.failures.withLock { $0 = count }
    }

    /// The next `count` transactions commit, and then throw as if the answer to their COMMIT had been lost (a
    /// connection dropped after the server committed).
    func loseNextCommitAnswers(_ count: Int) {
        self.lostAnswers.withLock { $0 = count }
    }

    func transaction<T: Sendable>(priority: TransactionPriority, _ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if Self.take(self.failures) { throw InjectedFailure() }
        let value = try await self.base.transaction(priority: priority, body)
        if Self.take(self.lostAnswers) { throw InjectedFailure() }
        return value
    }

    /// Takes one from a countdown; false when it is spent.
    private static func take(_ countdown: borrowing Mutex<Int>) -> Bool {
        countdown.withLock { remaining in
            guard remaining > 0 else { return false }
            remaining -= 1
            return true
        }
    }

    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.base.read(body)
    }

    func snapshot<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await self.base.snapshot(body)
    }

    func ping() async throws { try await self.base.ping() }

    var full: FullMark { self.base.full }

    func notifications(on channel: NotificationChannel) -> AsyncStream<String>? { self.base.notifications(on: channel) }

    func exclusively(_ name: ExclusiveChore, _ body: @Sendable () async throws -> Void) async throws -> Bool {
        try await self.base.exclusively(name, body)
    }

    func close() async throws { try await self.base.close() }
}
