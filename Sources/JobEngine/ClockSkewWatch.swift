import Generation
import Logging
import Metrics
import Synchronization

/// Checks this replica's clock against the database's before a claim judges that another replica's lease ran out.
///
/// Leases are written and judged with each replica's own clock (`GenerationSettings.clock`). A replica whose clock
/// runs well ahead would see live leases as expired and take over generations mid-submit; one that runs behind
/// writes leases that others see expiring early. So the tolerated skew is bounded (`maxClockSkewMillis`, 5 s by
/// default, against a 30 s lease renewed every 10 s): past it, this replica still claims queued generations and
/// leases given back, but never one whose expiry it would have to judge, and says so in the log and in the gauge
/// `imagegate_clock_skew_seconds`. On SQLite one process owns the database and its clock is the only one.
package final class ClockSkewWatch: Sendable {
    let maxSkewMillis: Int64
    /// How long a measure is trusted before the database is asked again.
    let recheckMillis: Int64
    private let last = Mutex<(at: Int64, skew: Int64)?>(nil)
    private let gauge = Gauge(label: "imagegate_clock_skew_seconds")

    package init(maxSkewMillis: Int64, recheckMillis: Int64 = 10_000) {
        self.maxSkewMillis = maxSkewMillis
        self.recheckMillis = recheckMillis
    }

    /// Which `processing` rows a claim made now may take over.
    func takeover(now: Int64, store: GenerationStore, logger: Logger) async -> GenerationStore.Takeover {
        let skew: Int64
        if let last = self.last.withLock({ $0 }), now >= last.at, now - last.at < self.recheckMillis {
            skew = last.skew
        } else {
            guard let measured = await self.measure(now: now, store: store, logger: logger) else { return .expiredBefore(now) }
            skew = measured
        }
        return abs(skew) > self.maxSkewMillis ? .givenBackOnly : .expiredBefore(now)
    }

    /// This clock minus the database's, remembered; nil when there is no other clock (SQLite) or it cannot be read.
    private func measure(now: Int64, store: GenerationStore, logger: Logger) async -> Int64? {
        guard let databaseNow = try? await store.databaseNowMillis() else { return nil }
        let skew = now - databaseNow
        let previous = self.last.withLock { last in
            defer { last = (now, skew) }
            return last?.skew
        }
        self.gauge.record(Double(skew) / 1000)
        let (wasOff, isOff) = (previous.map { abs($0) > self.maxSkewMillis } ?? false, abs(skew) > self.maxSkewMillis)
        if isOff, !wasOff {
            logger.error(
                "this replica's clock disagrees with the database's; it takes over no expired lease until they agree",
                metadata: ["skew_ms": "\(skew)", "tolerated_ms": "\(self.maxSkewMillis)"]
            )
        } else if wasOff, !isOff {
            logger.notice("this replica's clock agrees with the database's again", metadata: ["skew_ms": "\(skew)"])
        }
        return skew
    }
}
