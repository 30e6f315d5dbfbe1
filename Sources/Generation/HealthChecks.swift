import Blobs
import Storage

/// The process's own checks: `/health` (the process and its database answer) and `/ready` (the blob store too),
/// so the HTTP layer asks without holding either.
package struct HealthChecks: Sendable {
    let database: any Database
    let blobs: any BlobStore

    package init(database: any Database, blobs: any BlobStore) {
        self.database = database
        self.blobs = blobs
    }

    /// Throws when the database does not answer.
    package func live() async throws {
        try await self.database.ping()
    }

    /// Throws when the database or the blob store does not answer.
    package func ready() async throws {
        try await self.database.ping()
        try await self.blobs.ping()
    }
}
