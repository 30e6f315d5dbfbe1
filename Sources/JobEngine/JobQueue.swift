import Generation
import Synchronization

/// Wakes this process's idle workers when there may be a generation to claim.
///
/// The queue itself is the `generations` table, shared by every replica: a worker takes the oldest generation nobody
/// runs with one claim (`GenerationStore.claimNext`), so losing this process (a crash) loses nothing. What lives
/// here is only who to wake: how many workers wait idle, how many wake-ups found none (a busy worker then claims
/// again as soon as its run ends instead of waiting), and which HTTP request created each generation accepted here,
/// for the run's log lines.
package final class JobQueue: Sendable {
    let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    private let state: Mutex<State>
    /// The most missed wake-ups remembered: one per worker is enough for every busy worker to claim once more (a
    /// replica also hears its own announcements, and the sweeper repeats itself under sustained load).
    private let missedLimit: Int

    private struct State {
        /// Workers waiting for a wake-up that none was sent yet.
        var idle = 0
        /// Wake-ups that found no idle worker; each lets a worker that ends a run claim once more before it waits.
        var missed = 0
        /// The request that created each generation accepted here and not claimed yet.
        var requestIDs: [String: String] = [:]
    }

    /// How many request ids are remembered at most.
    static let requestIDLimit = 10_000

    package init(workers: Int = 64) {
        (self.wakeups, self.continuation) = AsyncStream<Void>.makeStream()
        self.state = Mutex(State())
        self.missedLimit = max(1, workers)
    }

    /// A generation was accepted here: wakes one idle worker. Returns false when every worker is busy, so the caller
    /// tells the other replicas (an idle one there takes it now rather than when a worker here is free).
    @discardableResult
    package func enqueue(_ id: String, requestID: String? = nil) -> Bool {
        self.state.withLock { state in
            if let requestID {
                // Generations another replica runs are never claimed here: the names are dropped past a bound
                // rather than kept forever (only log lines lose them).
                if state.requestIDs.count >= Self.requestIDLimit { state.requestIDs.removeAll(keepingCapacity: true) }
                state.requestIDs[id] = requestID
            }
            return self.wakeOne(&state)
        }
    }

    /// Wakes one idle worker (another replica has work nobody took).
    func wake() {
        self.state.withLock { state in _ = self.wakeOne(&state) }
    }

    /// Wakes every idle worker: the sweeper found generations that nobody runs (maybe several).
    func wakeAll() {
        self.state.withLock { state in
            if state.idle == 0 { state.missed = min(state.missed + 1, self.missedLimit) }
            for _ in 0..<state.idle { self.continuation.yield() }
            state.idle = 0
        }
    }

    /// A worker is done with a run (or just started): true when it should claim again at once (a wake-up found
    /// nobody idle meanwhile), false when it is now idle and must wait for `wakeups`.
    func shouldClaimAgain() -> Bool {
        self.state.withLock { state in
            if state.missed > 0 {
                state.missed -= 1
                return true
            }
            state.idle += 1
            return false
        }
    }

    /// The request that created generation `id` here, if this process accepted it (forgotten once read).
    func requestID(for id: String) -> String? {
        self.state.withLock { state in state.requestIDs.removeValue(forKey: id) }
    }

    /// Ends the wake-ups; waiting workers stop.
    package func finish() {
        self.continuation.finish()
    }

    private func wakeOne(_ state: inout State) -> Bool {
        guard state.idle > 0 else {
            state.missed = min(state.missed + 1, self.missedLimit)
            return false
        }
        state.idle -= 1
        self.continuation.yield()
        return true
    }
}
