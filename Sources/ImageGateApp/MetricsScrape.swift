import Accounts
import Essentials
import Generation
import Metrics
import Storage

/// `GET /metrics` on the metrics listener: first the figures read at scrape (`LiveFigures`, and whether each
/// upstream answers), then the registry's text with its help. The listener is private (loopback by default), so
/// only the scraper drives these reads, once per scrape.
struct MetricsScrape: Sendable {
    let database: any Database
    let upstreams: [UpstreamCheck]
    let clock: any WallClock

    func text() async -> [UInt8] {
        await self.refresh()
        return Observability.metricsText()
    }

    func refresh() async {
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
        for upstream in self.upstreams {
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
