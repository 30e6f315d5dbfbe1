import Blobs
import Logging
import ServiceLifecycle
import Storage

/// Deletes the files of expired outputs, periodically. The output rows stay, so an expired link keeps answering
/// 410 `output_expired` and the generation record keeps its history.
public struct OutputJanitor: Service {
    let outputs: OutputStore
    let blobs: any BlobStore
    let interval: Duration
    let logger: Logger

    public init(outputs: OutputStore, blobs: any BlobStore, interval: Duration, logger: Logger) {
        self.outputs = outputs
        self.blobs = blobs
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let removed = try await self.sweep()
                if removed > 0 { self.logger.info("expired outputs deleted", metadata: ["count": "\(removed)"]) }
            } catch {
                self.logger.error("janitor sweep failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) }
        }
    }

    /// One pass: deletes every expired file and marks its row. Returns how many were deleted.
    @discardableResult
    public func sweep(now: Int64 = Timestamp.nowMillis()) async throws -> Int {
        var removed = 0
        while true {
            let batch = try await self.outputs.expired(now: now, limit: 200)
            if batch.isEmpty { return removed }
            for output in batch {
                try await self.blobs.delete(key: output.blobKey)
                try await self.outputs.markDeleted(id: output.id, at: now)
                removed += 1
            }
        }
    }
}
