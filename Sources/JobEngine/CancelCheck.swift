import Generation
import Synchronization

/// Answers a run's "has the owner asked to cancel?" from the books, at most once per `interval`: providers ask at
/// every step (each status poll of a busy upstream), and the answer only needs to be fresh to within a poll or two.
/// Once yes, always yes.
final class CancelCheck: Sendable {
    private let read: @Sendable () async -> Bool
    private let interval: Duration
    private let state = Mutex<(requested: Bool, checkedAt: ContinuousClock.Instant?)>((false, nil))

    init(interval: Duration = .milliseconds(500), read: @escaping @Sendable () async -> Bool) {
        self.interval = interval
        self.read = read
    }

    func requested() async -> Bool {
        let now = ContinuousClock.now
        let (known, due) = self.state.withLock { state -> (Bool, Bool) in
            if state.requested { return (true, false) }
            guard let checkedAt = state.checkedAt, now - checkedAt < self.interval else {
                state.checkedAt = now
                return (false, true)
            }
            return (false, false)
        }
        guard due else { return known }
        let requested = await self.read()
        if requested { self.state.withLock { $0.requested = true } }
        return requested
    }
}
