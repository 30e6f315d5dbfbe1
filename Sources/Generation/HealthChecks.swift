import Blobs
import Essentials
import Storage
import Synchronization

/// The process's own checks: `/health` (the process and its database answer) and `/ready` (the blob store too),
/// so the HTTP layer asks without holding either.
///
/// `/ready` is public and the blob store's check is a request to it (an S3 `HeadBucket`, which the operator pays
/// for): its answer is kept for `readyCacheMillis`, so callers cannot make the server hammer its store.
package struct HealthChecks: Sendable {
    let database: any Database
    let blobs: any BlobStore
    let clock: any WallClock
    let readyCacheMillis: Int64
    /// When the deep check last ran and whether it passed.
    private let lastReady = LastReady()

    package init(database: any Database, blobs: any BlobStore, clock: any WallClock = SystemClock(), readyCacheMillis: Int64 = 5_000) {
        self.database = database
        self.blobs = blobs
        self.clock = clock
        self.readyCacheMillis = readyCacheMillis
    }

    /// Throws when the database does not answer.
    package func live() async throws {
        try await self.database.ping()
    }

    /// Throws when the database or the blob store does not answer (as found at most `readyCacheMillis` ago), or
    /// (`StorageFullError`) when either refused a write for want of space lately.
    package func ready() async throws {
        // A store that refused a write for want of space answers pings happily; it is not ready for work all the same.
        try StorageFullError.checkRoom(database: self.database, blobs: self.blobs)
        let now = self.clock.nowMillis()
        if let (at, passed) = self.lastReady.result, now >= at, now - at < self.readyCacheMillis {
            guard passed else { throw NotReady() }
            return
        }
        do {
            try await self.database.ping()
            try await self.blobs.ping()
            self.lastReady.result = (now, true)
        } catch {
            self.lastReady.result = (now, false)
            throw error
        }
    }

    /// A failed deep check, answered again from the cache.
    package struct NotReady: Error {}

    /// The last deep check's time and outcome, shared by every copy of the checks.
    private final class LastReady: Sendable {
        private let value = Mutex<(at: Int64, passed: Bool)?>(nil)
        var result: (at: Int64, passed: Bool)? {
            get { self.value.withLock { $0 } }
            set { self.value.withLock { $0 = newValue } }
        }
    }
}

extension StorageFullError {
    /// Throws when the database or the blob store refused a write for want of space lately (see `FullMark`): the one
    /// check behind new generations' refusal and `/ready`.
    static func checkRoom(database: any Database, blobs: any BlobStore) throws {
        if database.full.isFull() { throw StorageFullError(.database, detail: "a recent write was refused") }
        if blobs.full?.isFull() == true { throw StorageFullError(.outputs, detail: "a recent write was refused") }
    }
}
