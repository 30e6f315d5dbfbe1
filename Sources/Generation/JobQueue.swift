/// The in-process queue of generation ids waiting for a worker. It holds only ids (and the id of the request that
/// asked, for the logs): the job itself is in the database, so losing the queue (a crash) loses nothing; recovery
/// refills it from the `generations` table.
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

    public init() {
        (self.stream, self.continuation) = AsyncStream<Job>.makeStream()
    }

    public func enqueue(_ id: String, requestID: String? = nil) {
        GenerationMetrics.enqueued()
        self.continuation.yield(Job(generationID: id, requestID: requestID))
    }

    /// Ends the stream; workers stop when it drains.
    public func finish() {
        self.continuation.finish()
    }
}
