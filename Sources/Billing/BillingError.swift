/// Failures of money operations that callers turn into API errors.
public enum BillingError: Error, Equatable, Sendable {
    /// The available balance cannot cover the hold.
    case insufficientBalance(available: MicroUSD, required: MicroUSD)
    /// No account with that id or name.
    case accountNotFound(String)
    /// An account with that name exists already.
    case accountExists(String)
    /// Account names are 1–64 letters, digits, `.`, `_` or `-`.
    case invalidName(String)
    /// The key's daily spend limit would be passed; it resets at the next UTC midnight.
    case dailyLimitExceeded(limit: MicroUSD, spent: MicroUSD, retryAfterSeconds: Int)
    /// The key already runs as many generations as it may.
    case concurrencyLimitExceeded(max: Int)
    /// The key's requests or images per minute are used up for now.
    case rateLimited(RateLimitStatus, kind: RateLimit.Kind, retryAfterSeconds: Int)
    /// One request asks for more than the key's per-minute limit allows at all.
    case exceedsRateLimit(limit: Int, kind: RateLimit.Kind, cost: Int)
    /// An Idempotency-Key was used before with a different request.
    case idempotencyKeyReused
    /// The books would not balance (a bug or tampering); the transaction was rolled back.
    case inconsistent(String)
}
