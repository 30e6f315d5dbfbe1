/// Tunables of the generation engine, from `imagegate serve` options.
public struct GenerationSettings: Sendable {
    /// How long outputs stay downloadable after a generation completes.
    public var retentionMillis: Int64
    /// How long a worker may hold a generation before it counts as abandoned.
    public var leaseMillis: Int64
    /// Runs of one generation before it is failed and refunded (protects against a crash loop).
    public var maxAttempts: Int
    /// How many generations run at once in this process.
    public var workers: Int
    /// Largest image accepted from an upstream URL.
    public var maxOutputBytes: Int

    public init(retentionMillis: Int64, leaseMillis: Int64 = 20 * 60_000, maxAttempts: Int = 3, workers: Int = 4, maxOutputBytes: Int = 64 << 20) {
        self.retentionMillis = retentionMillis
        self.leaseMillis = leaseMillis
        self.maxAttempts = maxAttempts
        self.workers = workers
        self.maxOutputBytes = maxOutputBytes
    }
}
