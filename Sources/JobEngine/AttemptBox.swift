import Generation
import Providers
import Synchronization

/// The route of a run's current attempt, as `RoutedProvider` announces it through the context: after a failover
/// the generation is billed at, and shows, the route that ran it, not the one quoted when it was accepted.
final class AttemptBox: Sendable {
    private let current = Mutex<RouteAttempt?>(nil)

    func set(_ attempt: RouteAttempt) {
        self.current.withLock { $0 = attempt }
    }

    /// Writes the current attempt's route, protocol and price per image into `record` (nothing before an attempt).
    func apply(to record: inout GenerationRecord) {
        guard let attempt = self.current.withLock({ $0 }) else { return }
        record.provider = attempt.provider
        record.route = attempt.route
        record.request.upstreamPricePerImage = attempt.costPerImage
    }
}
