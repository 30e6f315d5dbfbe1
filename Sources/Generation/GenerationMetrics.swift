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
}
