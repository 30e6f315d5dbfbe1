import Billing
import HTTPTypes

/// The rate-limit headers of IETF `draft-ietf-httpapi-ratelimit-headers` (the `RateLimit-Limit`, `-Remaining`,
/// `-Reset` form that clients and proxies read today), showing the key's limit nearest to exhaustion.
enum RateLimitHeaders {
    static let limit = HTTPField.Name("RateLimit-Limit")!
    static let remaining = HTTPField.Name("RateLimit-Remaining")!
    static let reset = HTTPField.Name("RateLimit-Reset")!

    static func add(_ status: RateLimitStatus?, to headers: inout HTTPFields) {
        guard let status else { return }
        headers[Self.limit] = String(status.limit)
        headers[Self.remaining] = String(status.remaining)
        headers[Self.reset] = String(status.resetSeconds)
    }
}
