/// One immutable ledger row.
package struct LedgerEntry: Sendable, Codable, Equatable {
    package let seq: Int64
    package let accountID: String
    package let generationID: String?
    package let kind: LedgerKind
    package let amount: MicroUSD
    package let balanceAfter: MicroUSD
    package let heldAfter: MicroUSD
    package let note: String
    package let createdAt: Int64
}
