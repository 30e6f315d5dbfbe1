import AsyncHTTPClient
import ServiceLifecycle
import Storage

/// Keeps the shared HTTP client alive for the application's lifetime and shuts it down after the services that
/// use it (services stop in reverse order of start).
struct HTTPClientService: Service {
    let client: HTTPClient

    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }
}

/// Closes the database connections once everything else has stopped.
struct DatabaseService: Service {
    let database: any Database

    func run() async throws {
        try? await gracefulShutdown()
        // When the group is cancelled rather than shut down gracefully, this task is cancelled too; close in a
        // fresh task so the connections are still closed properly.
        let database = self.database
        try await Task { try await database.close() }.value
    }
}
