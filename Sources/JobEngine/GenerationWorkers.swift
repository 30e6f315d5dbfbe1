import Essentials
import Generation
import Logging
import ServiceLifecycle
import Storage

/// Runs generations, `workers` at a time, as a service of the application: this process's share of the queue that
/// every replica shares (the `generations` table).
///
/// A worker claims the oldest generation nobody runs (`FOR UPDATE SKIP LOCKED` on PostgreSQL), runs it, and claims
/// again until a claim finds nothing; then it waits idle. It is woken when this process accepts a generation, when
/// another replica that had no idle worker accepts one (`NOTIFY`), and by the sweeper. Recovery is the same claim,
/// not a second implementation: every worker claims once at start (work a crashed process left queued, or whose
/// lease it gave back), and a generation whose run died is claimable again when its lease runs out. On graceful
/// shutdown workers stop claiming; running generations end as interrupted and give their lease back, so another
/// replica (or the next start) resumes them at once. A submit in flight is not cut off: it and the saving of its
/// handle finish first (the provider shields them; the lease keeper goes on renewing), and shutdown waits for them.
package struct GenerationWorkers: Service, UsesEngineDependencies {
    let dependencies: EngineDependencies
    let runner: GenerationRunner
    let workers: Int
    let logger: Logger

    package init(_ dependencies: EngineDependencies, workers: Int, logger: Logger) {
        self.dependencies = dependencies
        self.runner = GenerationRunner(dependencies: dependencies)
        self.workers = max(1, workers)
        self.logger = logger
    }

    package func run() async throws {
        let unfinished = try await self.store.unfinishedIDs()
        if !unfinished.isEmpty {
            self.logger.notice("unfinished generations in the queue", metadata: ["count": "\(unfinished.count)"])
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sweep() }
            // Generations other replicas end wake this process's waiters; work they could not start wakes its workers
            // (PostgreSQL's NOTIFY). On SQLite nobody else exists.
            if let ended = self.database.notifications(on: .generationEnded) {
                group.addTask {
                    for await id in ended.cancelOnGracefulShutdown() { await self.hub.signal(id) }
                }
            }
            if let work = self.database.notifications(on: .workAvailable) {
                group.addTask {
                    for await scope in work.cancelOnGracefulShutdown() {
                        if scope == Self.everyWorker { self.queue.wakeAll() } else { self.queue.wake() }
                    }
                }
            }
            for _ in 0..<self.workers {
                group.addTask { await self.work() }
            }
        }
    }

    /// One worker: claims at start, then whenever woken, until graceful shutdown.
    func work() async {
        var claimAtOnce = true
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            if !claimAtOnce {
                var wakeups = self.queue.wakeups.cancelOnGracefulShutdown().makeAsyncIterator()
                guard await wakeups.next() != nil else { return }
            }
            guard let claim = await self.runner.claimNext(logger: self.logger) else {
                claimAtOnce = self.queue.shouldClaimAgain()
                continue
            }
            GenerationMetrics.started()
            var logger = self.logger
            if let requestID = self.queue.requestID(for: claim.record.id) { logger.requestID = requestID }
            // A graceful shutdown interrupts the run (it gives its lease back and the next claim, here or on another
            // replica, resumes it through its saved handle) instead of waiting for an upstream that may take minutes;
            // only a submit in flight runs on until its handle is saved.
            _ = await cancelWhenGracefulShutdown { [logger] in await self.runner.run(claim, logger: logger) }
            GenerationMetrics.finished()
            // Claim again at once: a backlog (a restart, a dead replica's leases, a burst) drains at full speed, and
            // only a claim that finds nothing sends the worker back to wait.
            claimAtOnce = true
        }
    }

    /// The payload of a `workAvailable` notification that wakes every idle worker (the sweeper's), not just one.
    static let everyWorker = "all"

    /// Every `sweepIntervalMillis`, samples the queue's depth, and one replica at a time looks for generations nobody
    /// runs (expired leases, queued rows older than one interval) and wakes the idle workers of every replica.
    func sweep() async {
        let interval = self.settings.sweepIntervalMillis
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(interval)) }
            let now = self.settings.clock.nowMillis()
            do {
                // Every replica samples the depth (a gauge each replica exports); one at a time wakes the others.
                let state = try await self.store.queueState(now: now, queuedBefore: now - interval)
                GenerationMetrics.queued(state.queued)
                guard state.unclaimed else { continue }
                _ = try await self.database.exclusively(.leaseSweeper) {
                    self.logger.notice("generations wait for a worker; waking every replica's")
                    self.queue.wakeAll()
                    try await self.database.read { sql in try await sql.announce(.workAvailable, Self.everyWorker) }
                }
            } catch {
                if !Task.isCancelled { self.logger.warning("sweep failed", metadata: ["error": "\(error)"]) }
            }
        }
    }
}
