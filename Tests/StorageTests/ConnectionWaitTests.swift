import Logging
import Testing

@testable import Storage

/// A PostgreSQL that cannot be reached fails callers after the connection wait instead of holding them forever:
/// PostgresNIO's pool would keep a lease waiting while it retries the connection (a replica stopping after its
/// database went away never exited).
@Suite struct ConnectionWaitTests {
    @Test(.timeLimit(.minutes(1)))
    func anUnreachableServerFailsTheCallerAfterTheWait() async throws {
        // Nothing listens on port 1 of the loopback.
        await #expect(throws: DatabaseUnavailableError.self) {
            _ = try await PostgresDatabase.open(
                url: "postgres://postgres@127.0.0.1:1/none?sslmode=disable",
                connectionWait: .seconds(1),
                logger: Logger(label: "connection-wait-test")
            )
        }
    }
}
