import Billing
import CoreMetrics
import Metrics

/// The engine's metrics, through swift-metrics (the backend, Prometheus, is chosen by the bootstrap).
///
/// Handles are looked up on each use rather than kept in `static let`s: one made before the bootstrap would stay
/// bound to the no-op backend forever.
package enum GenerationMetrics {
    static var inFlight: Meter { Meter(label: "imagegate_generations_in_flight") }
    static var queueDepth: Meter { Meter(label: "imagegate_queue_depth") }
    static var imagesStored: Counter { Counter(label: "imagegate_images_stored_total") }
    static var bytesStored: Counter { Counter(label: "imagegate_image_bytes_stored_total") }

    /// The generations queued on every replica, as the last sweep counted them.
    package static func queued(_ count: Int) { Self.queueDepth.set(count) }
    package static func started() { Self.inFlight.increment() }
    package static func finished() { Self.inFlight.decrement() }
    package static func stored(images: Int, bytes: Int64) {
        Self.imagesStored.increment(by: images)
        Self.bytesStored.increment(by: Int(bytes))
    }

    /// Wall time of a generation from submit to its end, by provider and outcome.
    package static func recordDuration(milliseconds: Int64, provider: String, outcome: String) {
        Timer(label: "imagegate_generation_duration_seconds", dimensions: [("provider", provider), ("outcome", outcome)])
            .recordMilliseconds(milliseconds)
    }

    /// Money moved, in micro-USD, by ledger kind (hold, charge, release, refund).
    package static func recordMoney(_ kind: String, micros: Int64) {
        guard micros > 0 else { return }
        Counter(label: "imagegate_money_micros_total", dimensions: [("kind", kind)]).increment(by: micros)
    }

    /// A generation's end (every way one ends goes through `Settlement.settle`): by final status and error code,
    /// and what its upstream bills, with the share of it for images whose money went back (the operator's loss,
    /// computed as `imagegate audit` does).
    static func ended(_ final: GenerationRecord) {
        Counter(label: "imagegate_generations_ended_total", dimensions: [("status", final.status.rawValue), ("code", final.errorCode ?? "none")])
            .increment()
        let cost = final.upstreamCost.micros
        guard cost > 0 else { return }
        Counter(label: "imagegate_upstream_cost_micros_total", dimensions: [("provider", final.provider)]).increment(by: cost)
        let paidFor =
            final.request.upstreamPricePerImage.map { min(cost, $0 * Int64(final.images.count)) }
            ?? cost * Int64(final.images.count) / Int64(max(final.numImages, 1))
        if cost > paidFor {
            Counter(label: "imagegate_upstream_loss_micros_total", dimensions: [("provider", final.provider)]).increment(by: cost - paidFor)
        }
    }

    /// A generation moved off a route: which, and why (`not_started`, `route_unusable`).
    package static func failedOver(model: String, route: String, outcome: String) {
        Counter(label: "imagegate_route_failovers_total", dimensions: [("model", model), ("route", route), ("outcome", outcome)]).increment()
    }
}
