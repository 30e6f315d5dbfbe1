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
                let existing = try await sql.raw(
                    """
                    SELECT request_hash FROM idempotency_keys
                    WHERE account_id = \(bind: accountID) AND idempotency_key = \(bind: key) AND created_at > \(bind: now - IdempotencyStore.windowMillis)
                    """
                ).first()
                if let existing {
                    guard try existing.decode(column: "request_hash", as: String.self) == fingerprint else {
                        throw RequestError.idempotencyKeyReused()
                    }
                    return true
                }
                try await IdempotencyStore(database: self.database)
                    .claim(accountID: accountID, key: key, requestHash: fingerprint, generationID: "", now: now, on: sql)
            }
            try await Ledger.credit(amount, account: accountID, note: note, on: sql)
            return false
        }
    }
}
