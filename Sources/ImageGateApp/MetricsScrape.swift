import Accounts
import Essentials
import Generation
import Metrics
import Providers
import Storage
import Synchronization

/// `GET /metrics` on the metrics listener: first the figures read at scrape (`LiveFigures`; whether each upstream
/// answers is probed beside it), then the registry's text with its help. The listener is private (loopback by default), so
/// only the scraper drives these reads, once per scrape.
struct MetricsScrape: Sendable {
    let database: any Database
    let upstreams: [UpstreamCheck]
    /// Every route's breaker is published at scrape, so a route never attempted shows as closed.
    let routes: RoutedProvider?
    let clock: any WallClock
    /// Upstreams whose probe is running, so a scrape starts none beside one still running.
    let probing = InFlight()

    func text() async -> [UInt8] {
        await self.refresh()
        return Observability.metricsText()
    }

    func refresh() async {
        if let routes = self.routes { routes.breakers.publish(routes.routeNames) }
        // Unreadable (the database is down): the figures keep their last values; `/ready` and the store alerts say why.
        if let figures = try? await LiveFigures.read(on: self.database) {
            let now = self.clock.nowMillis()
            func age(_ since: Int64?) -> Double { since.map { Double(max(0, now - $0)) / 1000 } ?? 0 }
            Meter(label: "imagegate_queue_depth").set(figures.queued)
            Gauge(label: "imagegate_queue_oldest_age_seconds").record(age(figures.oldestQueuedAt))
            Gauge(label: "imagegate_unfinished_oldest_age_seconds").record(age(figures.oldestUnfinishedAt))
            Gauge(label: "imagegate_money_held_micros").record(figures.heldMicros)
            Gauge(label: "imagegate_account_balance_micros").record(figures.balanceMicros)
            Gauge(label: "imagegate_webhook_backlog").record(figures.webhookBacklog)
            Gauge(label: "imagegate_webhook_oldest_age_seconds").record(age(figures.oldestWebhookPendingSince))
        }
        // The probes run beside the scrape, never inside it: an unreachable upstream takes the probe's whole timeout,
        // which would outlast a short scrape timeout and make the replica look down. The gauge shows the last probe.
        for upstream in self.upstreams where self.probing.start(upstream.name) {
            Task {
                defer { self.probing.end(upstream.name) }
                let up: Bool
                do {
                    try await upstream.probe()
                    up = true
                } catch {
                    up = false
                }
                Gauge(label: "imagegate_upstream_up", dimensions: [("provider", upstream.name)]).record(up ? 1 : 0)
            }
        }
    }
}

/// Names with work in flight, shared by every copy of the scrape.
final class InFlight: Sendable {
    private let names = Mutex<Set<String>>([])

    /// Marks `name` started; false when it already was.
    func start(_ name: String) -> Bool { self.names.withLock { $0.insert(name).inserted } }
    func end(_ name: String) { _ = self.names.withLock { $0.remove(name) } }
}
