/// A customer wallet: the unit that owns keys, generations and money.
public struct Account: Sendable, Codable, Equatable {
    public let id: String
    public let name: String
    /// Money the account can spend now.
    public let balance: MicroUSD
    /// Money reserved for generations still running.
    public let held: MicroUSD
    public let createdAt: Int64
}
