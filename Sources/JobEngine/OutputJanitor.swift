import Blobs
import Essentials
import Generation
import Logging
import ServiceLifecycle
import Storage

/// Deletes the files of expired outputs, periodically. The output rows stay, so an expired link keeps answering
/// 410 `output_expired` and the generation record keeps its history.
///
/// It also removes files no record will ever point at, left by a crash between writing a file and committing the
/// row that owns it: reference copies of generations that have ended (or whose submit never committed), and
/// output files that a generation's settlement did not keep (a run that lost its lease after storing them), and
/// thumbnails whose output is gone.
package struct OutputJanitor: Service {
    let database: any Database
    let outputs: OutputStore
    let generations: GenerationStore
    let blobs: any BlobStore
    let interval: Duration
    let logger: Logger
    /// The date expiry is judged against.
    let clock: any WallClock
    /// Orphans are searched for on start and then every this many passes (a search lists every stored file).
    let orphanSearchEvery: Int
    /// A file of a generation with no row is left alone this long: its submit may still be committing.
    static let orphanGraceMillis: Int64 = 3_600_000

    package init(
        database: any Database,
        blobs: any BlobStore,
        interval: Duration,
        logger: Logger,
        clock: any WallClock = SystemClock(),
        orphanSearchEvery: Int = 60
    ) {
        self.database = database
        self.outputs = OutputStore(database: database)
        self.generations = GenerationStore(database: database)
        self.blobs = blobs
        self.interval = interval
        self.logger = logger
        self.clock = clock
        self.orphanSearchEvery = max(1, orphanSearchEvery)
    }

    package func run() async throws {
        var pass = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // One replica at a time: the others skip this pass (the chore's holder does it).
                _ = try await self.database.exclusively(.janitor) { [pass] in
                    let removed = try await self.sweep(now: self.clock.nowMillis())
                    if removed > 0 { self.logger.info("expired outputs deleted", metadata: ["count": "\(removed)"]) }
                    if pass % self.orphanSearchEvery == 0 {
                        let orphans = try await self.sweepOrphans(now: self.clock.nowMillis())
                        if orphans > 0 { self.logger.notice("orphaned files deleted", metadata: ["count": "\(orphans)"]) }
                    }
                }
            } catch {
                // A pass cut short by shutdown is not a failure: the next start does it.
                if !Task.isCancelled && !Task.isShuttingDownGracefully {
                    self.logger.error("janitor sweep failed", metadata: ["error": "\(error)"])
                }
            }
            pass += 1
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One pass: deletes every expired file and marks its row. Returns how many were deleted.
    @discardableResult
    package func sweep(now: Int64) async throws -> Int {
        var removed = 0
        while true {
            let batch = try await self.outputs.expired(now: now, limit: 200)
            if batch.isEmpty { return removed }
            for output in batch {
                try await self.blobs.delete(key: output.blobKey)
                try await self.blobs.delete(key: OutputStore.thumbnailKey(ofOutput: output.blobKey))
                try await self.outputs.markDeleted(id: output.id, at: now)
                removed += 1
            }
        }
    }

    /// Deletes reference copies of ended generations and output files no live row points at. Returns how many.
    @discardableResult
    package func sweepOrphans(now: Int64) async throws -> Int {
        var removed = 0
        for key in try await self.blobs.keys(under: OutputStore.referenceKeyPrefix) {
            guard try await self.hasEnded(generationOf: key, now: now) else { continue }
            try await self.blobs.delete(key: key)
            removed += 1
        }
        for key in try await self.blobs.keys(under: OutputStore.blobKeyPrefix) {
            guard try await self.hasEnded(generationOf: key, now: now), try await !self.outputs.isLive(blobKey: key) else { continue }
            try await self.blobs.delete(key: key)
            removed += 1
        }
        // A thumbnail made while the janitor deleted its output (or copied by `blobs migrate`) outlives it: gone
        // once its output is.
        for key in try await self.blobs.keys(under: OutputStore.thumbnailKeyPrefix) {
            guard try await !self.outputs.isLive(blobKey: OutputStore.outputKey(ofThumbnail: key)) else { continue }
            try await self.blobs.delete(key: key)
            removed += 1
        }
        return removed
    }

    /// Whether the generation a blob key names (`folder/<generation>/<index>`) can no longer use its files: it is
    /// final, or it has no row and is older than the grace period.
    func hasEnded(generationOf key: String, now: Int64) async throws -> Bool {
        let parts = key.split(separator: "/")
        guard parts.count >= 2 else { return false }
        let id = String(parts[1])
        if let status = try await self.generations.status(id: id) { return status.isFinal }
        guard let created = Identifier.millis(of: id) else { return false }
        return created < now - Self.orphanGraceMillis
    }
}
