/// A money operation that was refused or could not balance. `code` is the class callers act on (values with static
/// members, as `ProviderError.Code` and `HTTPClientError` do it); `message` is written for the person refused, and
/// the retry hint and rate-limit state travel with it. No HTTP here: the front doors map codes to their answers.
package struct BillingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The classes of refusal.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case insufficientBalance, accountNotFound, accountExists, invalidName, dailyLimitExceeded, concurrencyLimitExceeded
            case rateLimited, exceedsRateLimit, idempotencyKeyReused, inconsistent
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }
        package var description: String { self.base.rawValue }

        /// The available balance cannot cover the hold.
        package static let insufficientBalance = Code(.insufficientBalance)
        /// No account with that id or name.
        package static let accountNotFound = Code(.accountNotFound)
        /// An account with that name exists already.
        package static let accountExists = Code(.accountExists)
        /// Account names are 1–64 letters, digits, `.`, `_` or `-`.
        package static let invalidName = Code(.invalidName)
        /// The key's daily spend limit would be passed; it resets at the next UTC midnight.
        package static let dailyLimitExceeded = Code(.dailyLimitExceeded)
        /// The key already runs as many generations as it may.
        package static let concurrencyLimitExceeded = Code(.concurrencyLimitExceeded)
        /// The key's requests or images per minute are used up for now.
        package static let rateLimited = Code(.rateLimited)
        /// One request asks for more than the key's per-minute limit allows at all (waiting never helps).
        package static let exceedsRateLimit = Code(.exceedsRateLimit)
        /// An Idempotency-Key was used before with a different request.
        package static let idempotencyKeyReused = Code(.idempotencyKeyReused)
        /// The books would not balance (a bug or tampering); the transaction was rolled back.
        package static let inconsistent = Code(.inconsistent)
    }

    package let code: Code
    package let message: String
    /// When trying again may succeed (daily limit, concurrency, rate limits).
    package let retryAfterSeconds: Int?
    /// The key's rate limit as it stands, when the refusal is about one.
    package let rateLimit: RateLimitStatus?

    package init(_ code: Code, _ message: String, retryAfterSeconds: Int? = nil, rateLimit: RateLimitStatus? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.rateLimit = rateLimit
    }

    package var description: String { "\(self.code): \(self.message)" }

    package static func insufficientBalance(available: MicroUSD, required: MicroUSD) -> BillingError {
        BillingError(
            .insufficientBalance,
            "This request needs \(required.formatted) and the available balance is \(available.formatted). Nothing was charged: add credit (your account page, /account, says how), then try again."
        )
    }

    package static func accountNotFound(_ name: String) -> BillingError {
        BillingError(.accountNotFound, "No account '\(name)'.")
    }

    package static func accountExists(_ name: String) -> BillingError {
        BillingError(.accountExists, "An account named '\(name)' exists already.")
    }

    package static func invalidName(_ name: String) -> BillingError {
        BillingError(.invalidName, "Account names are 1 to 64 letters, digits, '.', '_' or '-' (got '\(name)').")
    }

    package static func dailyLimitExceeded(limit: MicroUSD, spent: MicroUSD, retryAfterSeconds: Int) -> BillingError {
        BillingError(
            .dailyLimitExceeded,
            "This request would take this key past its daily limit of $\(limit) (spent today: $\(spent)).",
            retryAfterSeconds: retryAfterSeconds
        )
    }

    package static func concurrencyLimitExceeded(max: Int) -> BillingError {
        BillingError(
            .concurrencyLimitExceeded,
            "This key may run \(max) generations at once; wait for one to finish.",
            retryAfterSeconds: 2
        )
    }

    package static func rateLimited(_ status: RateLimitStatus, kind: RateLimit.Kind, retryAfterSeconds: Int) -> BillingError {
        BillingError(
            .rateLimited,
            "This key may make \(status.limit) \(kind.rawValue) per minute; try again in \(retryAfterSeconds) s.",
            retryAfterSeconds: retryAfterSeconds,
            rateLimit: status
        )
    }

    package static func exceedsRateLimit(limit: Int, kind: RateLimit.Kind, cost: Int) -> BillingError {
        BillingError(.exceedsRateLimit, "This request asks for \(cost) images and this key may make \(limit) \(kind.rawValue) per minute.")
    }

    package static let idempotencyKeyReused = BillingError(
        .idempotencyKeyReused,
        "This Idempotency-Key was already used with a different request in the last 24 hours."
    )

    package static func inconsistent(_ detail: String) -> BillingError {
        BillingError(.inconsistent, detail)
    }
}
