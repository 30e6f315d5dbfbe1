/// How webhooks are sent and retried, from `imagegate serve` options.
package struct WebhookSettings: Sendable {
    /// Delay before the first retry; it doubles with each failed attempt up to `maxRetryMillis`, with jitter.
    package var firstRetryMillis: Int64 = 5_000
    package var maxRetryMillis: Int64 = 3_600_000
    /// A delivery is retried for at least this long after it became due; the first failure past it is final.
    package var retryForMillis: Int64 = 24 * 3600 * 1000
    /// A receiver must answer 2xx within this (connection included) for an attempt to count as delivered.
    package var timeout: Duration = .seconds(10)
    /// Attempts in flight at once in this process.
    package var concurrency = 16
    /// Let webhooks reach loopback and private addresses (tests, or receivers on the operator's own network).
    package var allowPrivateAddresses = false

    package init() {}

    /// How long a sender holds a delivery it attempts: the attempt's timeout and a margin. A sender that dies loses
    /// it after this, and the delivery is attempted again.
    var leaseMillis: Int64 { self.timeout.milliseconds + 5_000 }

    /// The wait after failed attempt number `attempt` (1-based): exponential, capped, and spread by `jitter` (0–1)
    /// over its upper half, so receivers that failed together are not retried together.
    func retryDelay(afterAttempt attempt: Int, jitter: Double) -> Int64 {
        let doublings = min(max(attempt - 1, 0), 40)
        let exponential = self.firstRetryMillis.multipliedReportingOverflow(by: Int64(1) << doublings)
        let capped = exponential.overflow ? self.maxRetryMillis : min(exponential.partialValue, self.maxRetryMillis)
        return capped / 2 + Int64(Double(capped / 2) * min(max(jitter, 0), 1))
    }
}

extension Duration {
    /// The duration in whole milliseconds.
    var milliseconds: Int64 { self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000 }
}
