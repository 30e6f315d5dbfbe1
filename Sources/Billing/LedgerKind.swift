/// The kinds of money movement. Each row moves money between an account's available balance, its held
/// balance, and the outside world (credit in, charge out).
///
/// | kind       | available | held  |
/// |------------|-----------|-------|
/// | credit     | +amount   |       |
/// | topup      | +amount   |       |
/// | debit      | −amount   |       |
/// | hold       | −amount   | +amount |
/// | charge     |           | −amount |
/// | release    | +amount   | −amount |
/// | refund     | +amount   | −amount |
///
/// `release` returns the part of a hold that a completed generation did not use (images not delivered);
/// `refund` returns a whole hold when a generation failed. `credit` is the operator's; `topup` is a customer's card
/// payment (its order in `payment_orders` names it); `debit` takes money back (a refunded or disputed payment).
package enum LedgerKind: String, Sendable, Codable, CaseIterable {
    case credit
    case topup
    case debit
    case hold
    case charge
    case release
    case refund

    /// How one row of this kind changes (available, held).
    package func effect(_ amount: Int64) -> (available: Int64, held: Int64) {
        switch self {
        case .credit, .topup: (amount, 0)
        case .debit: (-amount, 0)
        case .hold: (-amount, amount)
        case .charge: (0, -amount)
        case .release, .refund: (amount, -amount)
        }
    }
}
