import Billing
import SQLKit
import Storage

/// Adds credit to an account, once per `Idempotency-Key`: a retried top-up never credits twice.
public struct CreditService: Sendable {
    let database: any Database

    public init(database: any Database) {
        self.database = database
    }

    /// Credits `amount`; returns whether this was a replay of an earlier request with the same key.
    public func addCredit(accountID: String, amount: MicroUSD, note: String, idempotencyKey: String?) async throws -> Bool {
        let fingerprint = "credit:\(accountID):\(amount.micros):\(note)"
        return try await self.database.transaction { sql in
            if let key = idempotencyKey {
                let now = Timestamp.nowMillis()
                if let existing = try await IdempotencyStore.entry(accountID: accountID, key: key, now: now, on: sql) {
                    guard existing.requestHash == fingerprint else { throw RequestError.idempotencyKeyReused() }
                    return true
                }
                try await IdempotencyStore.claim(accountID: accountID, key: key, requestHash: fingerprint, generationID: "", now: now, on: sql)
            }
            try await Ledger.credit(amount, account: accountID, note: note, on: sql)
            return false
        }
    }
}
