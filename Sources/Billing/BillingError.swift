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
    /// The books would not balance (a bug or tampering); the transaction was rolled back.
    case inconsistent(String)
}
