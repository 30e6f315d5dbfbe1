import Billing

/// A request ImageGate refuses before any money moves. `code` is the stable machine-readable reason,
/// `param` names the parameter to blame (as the caller wrote it).
package struct RequestError: Error, Sendable, Equatable {
    /// The reasons a request is refused, as values with static members (the wire text is `rawValue`).
    package struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        package let rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
        package var description: String { self.rawValue }

        package static let invalidParameter = Code(rawValue: "invalid_parameter")
        package static let invalidJSON = Code(rawValue: "invalid_json")
        package static let modelNotFound = Code(rawValue: "model_not_found")
        package static let insufficientBalance = Code(rawValue: "insufficient_balance")
        package static let dailyLimitExceeded = Code(rawValue: "daily_limit_exceeded")
        package static let concurrencyLimitExceeded = Code(rawValue: "concurrency_limit_exceeded")
        package static let idempotencyKeyReused = Code(rawValue: "idempotency_key_reused")
        package static let payloadTooLarge = Code(rawValue: "payload_too_large")
        package static let requestTimeout = Code(rawValue: "request_timeout")
        package static let rateLimited = Code(rawValue: "rate_limited")
        package static let overloaded = Code(rawValue: "overloaded")
    }

    package let code: Code
    package let message: String
    package let param: String?
    /// For 429 and limits: when to try again.
    package let retryAfterSeconds: Int?
    /// The key's rate limit as it stands (for the `RateLimit-*` headers), when the refusal is about one.
    package var rateLimit: RateLimitStatus? = nil

    package init(code: Code, message: String, param: String? = nil, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.param = param
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Whether an SDK retrying the same request could never succeed (billing refusals and conflicts are final).
    package var isFinal: Bool { Self.finalCodes.contains(self.code) }
    static let finalCodes: Set<Code> = [.insufficientBalance, .dailyLimitExceeded, .idempotencyKeyReused]

    /// Too many generations wait to run already (the server's queue, or the account's share of it).
    package static func overloaded(_ message: String) -> RequestError {
        RequestError(code: .overloaded, message: message, retryAfterSeconds: 10)
    }

    package static func idempotencyKeyReused() -> RequestError {
        RequestError(
            code: .idempotencyKeyReused,
            message: "This Idempotency-Key was already used with a different request in the last 24 hours.",
            param: "Idempotency-Key"
        )
    }

    package static func invalid(_ param: String, _ message: String) -> RequestError {
        RequestError(code: .invalidParameter, message: message, param: param)
    }

    package static func invalidJSON(_ message: String) -> RequestError {
        RequestError(code: .invalidJSON, message: message)
    }

    package static func modelNotFound(_ id: String, param: String = "model") -> RequestError {
        RequestError(code: .modelNotFound, message: "The model '\(id)' does not exist. See GET /v1/models.", param: param)
    }

    package static func tooLarge(_ message: String, param: String? = nil) -> RequestError {
        RequestError(code: .payloadTooLarge, message: message, param: param)
    }

    /// The body did not arrive in time (a client too slow, or holding the connection on purpose).
    package static func bodyTimeout(seconds: Int64) -> RequestError {
        RequestError(code: .requestTimeout, message: "The request body did not arrive within \(seconds) seconds.")
    }

    /// The answer to a refusal from the books (balance, key limits, a reused key); nil for errors that are not refusals.
    package init?(_ error: BillingError) {
        switch error.code {
        case .exceedsRateLimit:
            // Waiting never helps: the request alone is more than a minute's quota.
            self = .invalid("num_images", error.message)
        case .idempotencyKeyReused:
            self = .idempotencyKeyReused()
        default:
            guard let code = Self.refusals[error.code] else { return nil }
            self.init(code: code, message: error.message, retryAfterSeconds: error.retryAfterSeconds)
            self.rateLimit = error.rateLimit
        }
    }

    /// The books' refusals a caller is answered with as they are.
    static let refusals: [BillingError.Code: Code] = [
        .insufficientBalance: .insufficientBalance, .dailyLimitExceeded: .dailyLimitExceeded,
        .concurrencyLimitExceeded: .concurrencyLimitExceeded, .rateLimited: .rateLimited,
    ]
}
