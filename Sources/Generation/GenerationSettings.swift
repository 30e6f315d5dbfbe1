import Billing
import Essentials
import Storage
import Webhooks

/// Tunables of the generation engine, from `imagegate serve` options.
package struct GenerationSettings: Sendable {
    /// How long outputs stay downloadable after a generation completes.
    package var retentionMillis: Int64
    /// How long a run's claim on a generation lasts without renewal. A live run renews it every third of this, so
    /// only a dead run (a killed process, a hung worker) ever loses it; another run then takes the generation over.
    package var leaseMillis: Int64
    /// How often the sweeper looks for generations to hand to the workers again (expired leases, lost queue places).
    package var sweepIntervalMillis: Int64
    /// Runs of a generation that never reached an upstream, before it is failed and refunded (a crash loop guard).
    /// A generation with an upstream request is always resumed through it, however often it was interrupted.
    package var maxAttempts: Int
    /// Runs whose settlement failed (a database that refuses what the run would write) before the generation is
    /// failed and refunded without asking the upstream again.
    package var maxSettleFailures = 5
    /// The pause before the run after a failed settlement; it doubles with each failure, up to the lease's length.
    package var settleBackoffMillis: Int64 = 1000
    /// How many generations run at once in this process.
    package var workers: Int
    /// Largest image accepted from an upstream URL.
    package var maxOutputBytes: Int
    /// The date: leases, expiry and windows are decided against it.
    package var clock: any WallClock
    /// Rate limits for keys that have none of their own, per minute (absent or 0: no limit).
    package var defaultRateLimits: [RateLimit.Kind: Int] = [:]
    /// How webhooks are checked, sent and retried.
    package var webhooks = WebhookSettings()
    /// Backpressure: the most generations waiting to run in the queue this server shares (every replica of a cluster
    /// counts the same queue), and the most one account may have waiting. Past either, a new generation is refused
    /// with `503 overloaded` before anything is held. 0: no bound.
    package var maxQueued = 1_000
    /// The most this replica's clock may disagree with the database's before it stops taking over expired leases
    /// (see `ClockSkewWatch`).
    package var maxClockSkewMillis: Int64 = 5_000
    package var maxQueuedPerAccount = 0

    package init(
        retentionMillis: Int64,
        leaseMillis: Int64 = 30_000,
        sweepIntervalMillis: Int64 = 10_000,
        maxAttempts: Int = 3,
        workers: Int = 4,
        maxOutputBytes: Int = 64 << 20,
        clock: any WallClock = SystemClock()
    ) {
        self.retentionMillis = retentionMillis
        self.leaseMillis = leaseMillis
        self.sweepIntervalMillis = sweepIntervalMillis
        self.maxAttempts = maxAttempts
        self.workers = workers
        self.maxOutputBytes = maxOutputBytes
        self.clock = clock
    }
}
