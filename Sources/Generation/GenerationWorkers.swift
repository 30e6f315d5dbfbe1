import Logging
import ServiceLifecycle
import Storage

/// Runs queued generations, `workers` at a time, as a service of the application.
///
/// On start it first queues every generation a previous process left unfinished (after a crash or a kill):
/// recovery is the same runner, not a second implementation. A sweeper then keeps handing out what would otherwise
/// wait for a restart: generations whose lease ran out (their run died) and queued ones that lost their place
/// (a claim that failed on a database error). On graceful shutdown it stops taking new jobs; running ones end as
/// interrupted and give their lease back, so the next start resumes them at once.
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
            group.addTask { await self.sweep() }
            // Generations other replicas end wake this process's waiters (PostgreSQL's NOTIFY); on SQLite there are none.
            if let ended = self.service.database.endedGenerations() {
                group.addTask {
                    for await id in ended.cancelOnGracefulShutdown() { await self.service.hub.signal(id) }
                }
            }
            for _ in 0..<self.workers {
                group.addTask {
                    for await job in self.queue.stream.cancelOnGracefulShutdown() {
                        GenerationMetrics.dequeued()
                        var logger = self.logger
                        logger.requestID = job.requestID
                        // A graceful shutdown interrupts the run (it gives its lease back and the next start resumes
                        // it through its saved handle) instead of waiting for an upstream that may take minutes.
                        _ = await cancelWhenGracefulShutdown { [logger] in await self.service.process(job.generationID, logger: logger) }
                        self.queue.done(job.generationID)
                        GenerationMetrics.finished()
                    }
                }
            }
        }
    }

    /// Every `sweepIntervalMillis`, queues the generations that nobody is running: expired leases, and queued rows
    /// older than one interval. The queue skips ids this process already has.
    func sweep() async {
        let interval = self.service.settings.sweepIntervalMillis
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(interval)) }
            let now = self.service.settings.clock.nowMillis()
            do {
                // One replica at a time hands out what nobody runs; the claim's lease would stop a second run anyway.
                _ = try await self.service.database.exclusively(.leaseSweeper) {
                    for id in try await self.service.store.recoverableIDs(now: now, queuedBefore: now - interval) where self.queue.enqueue(id) {
                        self.logger.notice("generation handed out again", metadata: ["generation": "\(id)"])
                    }
                }
            } catch {
                if !Task.isCancelled { self.logger.warning("sweep failed", metadata: ["error": "\(error)"]) }
            }
        }
    }
}
