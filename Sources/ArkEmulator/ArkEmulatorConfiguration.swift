/// Knobs of `imagegate ark-emulator`.
package struct ArkEmulatorConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 8183
    /// Time each call takes to answer (Ark's call is synchronous: the whole generation).
    package var latencyMillis: Int64 = 0
    /// Share of calls (0...1) that fail as a whole, and how.
    package var failRate = 0.0
    package var failType = ArkFailureType.internalError
    /// 429 bursts: the first N calls, then a share of the rest, answered 429 with `Retry-After` (never started).
    package var rateLimitFirst = 0
    package var rateLimitRate = 0.0
    package var retryAfterSeconds = 1
    /// Share of images in a call that fail on their own (`data[i].error`, OutputImageSensitiveContentDetected),
    /// the others delivered.
    package var imageFailureRate = 0.0
    /// Share of calls whose work is done and billed, then answered 500 as if the answer was lost.
    package var lostAnswerRate = 0.0
    /// Share of delivered image URLs that answer 404.
    package var dropOutputRate = 0.0
    /// When set, calls must carry `Authorization: Bearer <this>`; otherwise any non-empty key is accepted.
    package var requiredKey: String?
    /// Base URL clients use to reach this emulator (image links); nil: derived from host and port.
    package var publicURL: String?
    /// Seed of the failure dice, so a run can be repeated.
    package var randomSeed: UInt64 = 42

    package init() {}

    var baseURL: String { self.publicURL ?? "http://\(self.host):\(self.port)" }
}
