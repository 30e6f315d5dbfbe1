/// One immutable ledger row.
public struct LedgerEntry: Sendable, Codable, Equatable {
    public let seq: Int64
    public let accountID: String
    public let generationID: String?
    public let kind: LedgerKind
    public let amount: MicroUSD
    public let balanceAfter: MicroUSD
    public let heldAfter: MicroUSD
    public let note: String
    public let createdAt: Int64
}
