import Metrics

/// The webhooks' metrics, through swift-metrics (the backend is chosen by the bootstrap; handles are looked up on each
/// use, so none is bound to the no-op backend made before it).
enum WebhookMetrics {
    /// Webhook attempts, by outcome (delivered, retry, gave_up).
    static func attempt(outcome: String) {
        Counter(label: "imagegate_webhook_attempts_total", dimensions: [("outcome", outcome)]).increment()
    }
}
