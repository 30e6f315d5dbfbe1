/// The in-process queue of generation ids waiting for a worker. It holds only ids: the job itself is in the
/// database, so losing the queue (a crash) loses nothing; recovery refills it from the `generations` table.
public struct JobQueue: Sendable {
    let stream: AsyncStream<String>
    private let continuation: AsyncStream<String>.Continuation

    public init() {
        (self.stream, self.continuation) = AsyncStream<String>.makeStream()
    }

    public func enqueue(_ id: String) {
        GenerationMetrics.enqueued()
        self.continuation.yield(id)
    }

    /// Ends the stream; workers stop when it drains.
    public func finish() {
        self.continuation.finish()
    }
}
