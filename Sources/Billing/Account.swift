/// A customer wallet: the unit that owns keys, generations and money.
package struct Account: Sendable, Codable, Equatable {
    package let id: String
    package let name: String
    /// Money the account can spend now.
    package let balance: MicroUSD
    /// Money reserved for generations still running.
    package let held: MicroUSD
    package let createdAt: Int64
    /// The operator disabled it: its keys are refused (403 `account_disabled`), its balance kept.
    package var disabled = false
}
