/// The `# HELP` line of every metric ImageGate exports, and the families it leaves out.
///
/// swift-metrics has no place for help text (swift-prometheus's factory registers every metric with an empty one),
/// so it is added to the exposition text as it is served, before each family's `# TYPE` line. A family with no entry
/// here is served without help; `MetricsTests` fails when one appears, so new metrics get theirs.
enum MetricsHelp {
    static let texts: [String: String] = [
        "imagegate_build_info": "Always 1; the version label is this binary's ImageGate version.",
        "hb_requests": "HTTP requests answered, by route, method and status code.",
        "http_server_request_duration": "Seconds to answer HTTP requests, by route, method and status code.",
        "http_server_active_requests": "HTTP requests being answered now, by method.",
        "imagegate_generation_duration_seconds": "Time from submit to the end of a generation, by provider and final status.",
        "imagegate_generations_ended_total": "Generations ended by this process, by final status and error code (none on success).",
        "imagegate_generations_in_flight": "Generations this process is running now.",
        "imagegate_queue_depth": "Generations waiting to run, in the queue every replica shares (read from the database at scrape).",
        "imagegate_queue_oldest_age_seconds": "Age of the oldest generation waiting to run (0 when none waits; read at scrape).",
        "imagegate_unfinished_oldest_age_seconds": "Age of the oldest generation not yet ended, whose money is held (0 when none; read at scrape).",
        "imagegate_money_held_micros": "Money held now for generations not yet ended, over all accounts, in micro-USD (read at scrape).",
        "imagegate_money_micros_total": "Money moved by this process, in micro-USD, by ledger kind: hold, charge (revenue), release, refund.",
        "imagegate_credit_added_micros_total": "Credit added through this process's admin API, in micro-USD (the CLI's top-ups show in the balance).",
        "imagegate_account_balance_micros": "Money available to spend now, over all accounts, in micro-USD (read at scrape).",
        "imagegate_upstream_cost_micros_total": "What upstreams bill for generations this process ended, in micro-USD, by provider.",
        "imagegate_upstream_loss_micros_total":
            "Upstream cost of images whose money went back to the user (paid upstream, not charged), by provider.",
        "imagegate_upstream_calls_total": "HTTP calls to upstreams, by provider and outcome (2xx, 4xx, 5xx, connect_failed, timeout, failed).",
        "imagegate_upstream_request_duration_seconds": "Time of upstream HTTP calls that got an answer, by provider, method and status.",
        "imagegate_route_breaker_state": "A route's circuit breaker in this process, by model and route: 0 closed, 1 half-open (one probe), 2 open.",
        "imagegate_route_failovers_total": "Generations moved off a route to the next, by model, route and why (not_started, route_unusable).",
        "imagegate_upstream_up": "1 when the upstream answered the readiness probe (any HTTP answer), 0 when it could not be reached.",
        "imagegate_images_stored_total": "Images stored by this process.",
        "imagegate_image_bytes_stored_total": "Bytes of images stored by this process.",
        "imagegate_output_bytes_served_total": "Bytes of outputs sent by this process.",
        "imagegate_blob_write_failures_total": "Writes the blob store refused or failed (outputs and reference copies), by store kind.",
        "imagegate_storage_full": "1 while a store refuses writes for want of space, by store (database, outputs).",
        "imagegate_webhook_attempts_total": "Webhook delivery attempts by this process, by outcome (delivered, retry, gave_up).",
        "imagegate_webhook_backlog": "Webhook events not yet delivered, waiting for an attempt or a retry (read at scrape).",
        "imagegate_webhook_oldest_age_seconds": "Age of the oldest webhook event not yet delivered (0 when none; read at scrape).",
        "imagegate_clock_skew_seconds": "This replica's clock minus the database's (PostgreSQL only).",
    ]

    /// Families not served: Hummingbird's `hb_request_errors` counts only errors thrown past ImageGate's own error
    /// middleware (none are: every error becomes an answer first), so it is a zero series per route and status,
    /// `error_type="200"` included. `hb_requests` by status code is the error rate.
    static let dropped: Set<String> = ["hb_request_errors"]

    /// `text` with `# HELP` before each family's `# TYPE` line, and without the dropped families.
    static func annotate(_ text: String) -> String {
        var lines: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).prefix { $0 != " " }
                skipping = Self.dropped.contains(String(name))
                if !skipping, let help = Self.texts[String(name)] { lines.append("# HELP \(name) \(help)") }
            } else if !line.hasPrefix("#"), !line.isEmpty {
                let name = line.prefix { $0 != "{" && $0 != " " }
                skipping = Self.dropped.contains(String(name))
            }
            if !skipping { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }
}
