import Logging
import ServiceLifecycle
import Storage

/// Runs queued generations, `workers` at a time, as a service of the application.
///
/// On start it first re-queues every generation a previous process left unfinished (after a crash or a kill):
/// recovery is the same `process` path, not a second implementation. On graceful shutdown it stops taking new
/// jobs and lets the running ones finish.
public struct GenerationWorkers: Service {
    let service: GenerationService
    let queue: JobQueue
    let workers: Int
    let logger: Logger

    public init(service: GenerationService, queue: JobQueue, workers: Int, logger: Logger) {
        self.service = service
        self.queue = queue
        self.workers = max(1, workers)
        self.logger = logger
    }

    public func run() async throws {
        let unfinished = try await self.service.store.unfinishedIDs()
        if !unfinished.isEmpty {
            self.logger.notice("resuming unfinished generations", metadata: ["count": "\(unfinished.count)"])
        }
        for id in unfinished { self.queue.enqueue(id) }

        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sweepExpiredLeases() }
            for _ in 0..<self.workers {
                group.addTask {
                    for await job in self.queue.stream.cancelOnGracefulShutdown() {
                        GenerationMetrics.dequeued()
                        var logger = self.logger
                        logger.requestID = job.requestID
                        await self.service.process(job.generationID, logger: logger)
                        GenerationMetrics.finished()
                    }
                }
            }
        }
    }

    /// Re-queues generations whose lease ran out (a worker that hung), so nothing stays `processing` forever.
    /// Claiming renews the lease, and after `maxAttempts` the generation is failed and refunded.
    func sweepExpiredLeases() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
            guard let expired = try? await self.service.store.expiredLeaseIDs(now: Timestamp.nowMillis()) else { continue }
            for id in expired { self.queue.enqueue(id) }
        }
    }
}
