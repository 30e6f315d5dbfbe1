/// Knobs of `imagegate fal-emulator`.
package struct FalEmulatorConfiguration: Sendable {
    package var host = "127.0.0.1"
    /// The queue host (`queue.fal.run`).
    package var port = 8181
    /// The synchronous host (`fal.run`); both hosts use the same paths, so it needs its own port. nil: off.
    package var syncPort: Int? = 8182
    /// Time a request spends `IN_QUEUE` before it starts.
    package var queueLatencyMillis: Int64 = 0
    /// Time a request spends `IN_PROGRESS` (the model's run time).
    package var runLatencyMillis: Int64 = 0
    /// Time an accepted submit takes to answer (the request is queued at once): a slow submit for a client to be
    /// stopped in the middle of, as by a rolling deploy.
    package var submitLatencyMillis: Int64 = 0
    /// Share of requests (0...1) that fail, and how.
    package var failRate = 0.0
    package var failType = FalFailureType.runnerDisconnected
    /// Share of output images whose URL answers 404.
    package var dropOutputRate = 0.0
    /// The first N submits answer 503 without accepting the request (to exercise client retries).
    package var rejectFirstSubmits = 0
    /// Transport faults: status polls answered 500, downloads answered 503, accepted submits answered 504.
    package var faults = FalFaults()
    /// When set, requests must carry `Authorization: Key <this>`; otherwise any non-empty key is accepted.
    package var requiredKey: String?
    /// PEM files for HTTPS (the official client only speaks https).
    package var tlsCertificatePath: String?
    package var tlsKeyPath: String?
    /// Base URL clients use to reach this emulator (links in responses); nil: derived from host and port.
    package var publicURL: String?
    /// Seed for the failure and drop dice, so a run can be repeated.
    package var randomSeed: UInt64 = 42

    package init() {}

    var scheme: String { self.tlsCertificatePath == nil ? "http" : "https" }
    var queueBaseURL: String { self.publicURL ?? "\(self.scheme)://\(self.host):\(self.port)" }
}
