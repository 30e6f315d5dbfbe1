import Billing
import Generation
import Providers
import Synchronization

/// The route of a run's current attempt, as `RoutedProvider` announces it through the context: after a failover
/// the generation is billed at, and shows, the route that ran it, not the one quoted when it was accepted.
/// It also carries what this run's earlier attempts may bill (a route resent after an unknown outcome), which the
/// books already hold and the run's record, read before them, does not.
final class AttemptBox: Sendable {
    private let current = Mutex<(attempt: RouteAttempt?, carried: Int64)>((nil, 0))

    func set(_ attempt: RouteAttempt) {
        self.current.withLock { $0.attempt = attempt }
    }

    /// An earlier attempt of this run closed with `cost` on the books.
    func carry(_ cost: Int64) {
        self.current.withLock { $0.carried += cost }
    }

    /// Writes the current attempt's route, protocol and price per image into `record` (nothing before an attempt),
    /// and adds the earlier attempts' cost to its upstream cost.
    func apply(to record: inout GenerationRecord) {
        let (attempt, carried) = self.current.withLock { $0 }
        record.upstreamCost = record.upstreamCost + MicroUSD(micros: carried)
        guard let attempt else { return }
        record.provider = attempt.provider
        record.route = attempt.route
        record.request.upstreamPricePerImage = attempt.costPerImage
    }
}
