import Synchronization

/// The in-process queue of generation ids waiting for a worker. It holds only ids (and the id of the request that
/// asked, for the logs): the job itself is in the database, so losing the queue (a crash) loses nothing; recovery
/// and the sweeper refill it from the `generations` table.
///
/// Each id is in it at most once, from `enqueue` until its worker calls `done`: the sweeper may find a generation
/// again while it is still waiting or running here, and must not start a second run of it.
public struct JobQueue: Sendable {
    /// One queued generation.
    struct Job: Sendable {
        let generationID: String
        /// The HTTP request that created it, so the worker's log lines can be matched to the request's; nil for
        /// generations resumed after a restart or a lost lease.
        let requestID: String?
    }

    let stream: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let present: Present

    /// Ids queued or running in this process.
    private final class Present: Sendable {
        let ids = Mutex<Set<String>>([])
    }

    public init() {
        (self.stream, self.continuation) = AsyncStream<Job>.makeStream()
        self.present = Present()
    }

    /// Queues `id` unless it is already queued or running here. Returns whether it was queued.
    @discardableResult
    public func enqueue(_ id: String, requestID: String? = nil) -> Bool {
        guard self.present.ids.withLock({ $0.insert(id).inserted }) else { return false }
        GenerationMetrics.enqueued()
        self.continuation.yield(Job(generationID: id, requestID: requestID))
        return true
    }

    /// The worker is done with `id`: a later sweep may queue it again.
    func done(_ id: String) {
        _ = self.present.ids.withLock { $0.remove(id) }
    }

    /// Ends the stream; workers stop when it drains.
    public func finish() {
        self.continuation.finish()
    }
}
