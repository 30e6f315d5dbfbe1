import Blobs
import Essentials
import Storage
import Synchronization

/// The process's own checks: `/health` (the process and its database answer) and `/ready` (it can do work: the
/// database and the blob store take writes, and an upstream answers), so the HTTP layer asks without holding either.
///
/// `/ready` is public and its deep checks cost something (a committed row, an S3 `PUT`, a request to the upstream):
/// their answer is kept for `readyCacheMillis`, so callers cannot make the server hammer its stores or its supplier.
package struct HealthChecks: Sendable {
    let database: any Database
    let blobs: any BlobStore
    let clock: any WallClock
    let readyCacheMillis: Int64
    /// The upstreams the models' routes go to; not ready when one cannot be reached (its models have no usable
    /// route). Empty: nothing to reach (the local engine).
    let upstreams: [UpstreamCheck]
    /// When the deep check last ran and what it found.
    private let lastReady = LastReady()

    package init(
        database: any Database,
        blobs: any BlobStore,
        clock: any WallClock = SystemClock(),
        readyCacheMillis: Int64 = 5_000,
        upstreams: [UpstreamCheck] = []
    ) {
        self.database = database
        self.blobs = blobs
        self.clock = clock
        self.readyCacheMillis = readyCacheMillis
        self.upstreams = upstreams
    }

    /// Throws when the database does not answer.
    package func live() async throws {
        try await self.database.ping()
    }

    /// Throws `StorageFullError` when a store refused a write for want of space lately (its probe's write included),
    /// or `NotReady` with its reason when the deep check (as found at most `readyCacheMillis` ago) failed.
    package func ready() async throws {
        // A store that refused a write for want of space answers pings happily; it is not ready for work all the same.
        try StorageFullError.checkRoom(database: self.database, blobs: self.blobs)
        let now = self.clock.nowMillis()
        if let last = self.lastReady.result, now >= last.at, now - last.at < self.readyCacheMillis {
            if let failure = last.failure { throw failure }
            return
        }
        let failure = await self.deepCheck()
        self.lastReady.result = (now, failure)
        if let failure { throw failure }
    }

    /// Each dependency in turn, the first failure kept: a `StorageFullError` as it is (the store is full, and
    /// `/ready` says which), anything else as `NotReady` with the dependency's reason.
    private func deepCheck() async -> (any Error)? {
        do {
            try await self.database.probeWrite()
        } catch let full as StorageFullError {
            return full
        } catch {
            return NotReady(reason: .databaseUnwritable, cause: error)
        }
        do {
            try await self.blobs.ping()
            // A bucket that answers HEAD may still refuse every PUT (permissions, a read-only or full server).
            _ = try await self.blobs.put(key: ".ready", bytes: Array("ok".utf8))
        } catch let full as StorageFullError {
            return full
        } catch {
            return NotReady(reason: .outputsUnwritable, cause: error)
        }
        var causes: [String] = []
        var reachable: [UpstreamCheck] = []
        for upstream in self.upstreams {
            do {
                try await upstream.probe()
                reachable.append(upstream)
            } catch {
                causes.append("\(upstream.name): \(error)")
            }
        }
        guard !causes.isEmpty else { return nil }
        // Not ready only when a model is left with no reachable route: one that can fail over is still served.
        let needed = Set(self.upstreams.flatMap(\.models))
        let served = Set(reachable.flatMap(\.models))
        guard !needed.subtracting(served).isEmpty else { return nil }
        return NotReady(reason: .upstreamUnreachable, cause: UpstreamsUnreachable(causes: causes))
    }

    /// A failed deep check: which dependency, and the error behind it (for the log, never the public answer).
    package struct NotReady: Error, CustomStringConvertible {
        package enum Reason: String, Sendable {
            case databaseUnwritable = "database_unwritable"
            case outputsUnwritable = "outputs_unwritable"
            case upstreamUnreachable = "upstream_unreachable"
        }
        package let reason: Reason
        package let cause: any Error
        package var description: String { "\(self.reason.rawValue): \(self.cause)" }
    }

    /// The upstream probes that failed.
    struct UpstreamsUnreachable: Error, CustomStringConvertible {
        let causes: [String]
        var description: String { self.causes.joined(separator: "; ") }
    }

    /// The last deep check's time and failure (nil: it passed), shared by every copy of the checks.
    private final class LastReady: Sendable {
        private let value = Mutex<(at: Int64, failure: (any Error)?)?>(nil)
        var result: (at: Int64, failure: (any Error)?)? {
            get { self.value.withLock { $0 } }
            set { self.value.withLock { $0 = newValue } }
        }
    }
}

/// A cheap way to learn whether an upstream can be reached (for fal: any HTTP answer from its queue host).
package struct UpstreamCheck: Sendable {
    package let name: String
    /// The models that need this upstream (it is on their routes, and they have no local one): `/ready` fails when
    /// one of them has no reachable upstream left.
    package let models: Set<String>
    package let probe: @Sendable () async throws -> Void

    package init(name: String, models: Set<String>, probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.models = models
        self.probe = probe
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
