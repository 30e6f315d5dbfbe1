import Crypto
import Essentials
import SQLKit
import Storage

/// The one way credit is added to an account, by the CLI, the admin API and the tests alike: one `credit` ledger
/// row, and with an `Idempotency-Key` at most once per key and account (a retried top-up never credits twice).
///
/// Top-up keys live in their own table, apart from the customers' generation keys, so an operator's key can never
/// collide with, or replay, a customer's request.
package struct Credits: Sendable {
    /// How long a top-up key is remembered.
    package static let windowMillis: Int64 = 24 * 3600 * 1000
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// What `add` did.
    package enum Outcome: Sendable, Equatable {
        case credited
        /// An earlier request with the same key and the same amount and note credited already; nothing moved.
        case replayed
    }

    /// Credits `amount` to the account. The same key with another amount or note throws `idempotencyKeyReused`.
    @discardableResult
    package func add(_ amount: MicroUSD, accountID: String, note: String, idempotencyKey: String? = nil) async throws -> Outcome {
        guard amount.micros > 0 else { throw BillingError.inconsistent("a credit must be positive") }
        let fingerprint = Self.fingerprint(accountID: accountID, amount: amount, note: note)
        let now = Timestamp.nowMillis()
        return try await self.database.transaction { sql in
            if let key = idempotencyKey {
                try await sql.raw(
                    """
                    DELETE FROM credit_requests
                    WHERE account_id = \(bind: accountID) AND idempotency_key = \(bind: key) AND created_at <= \(bind: now - Self.windowMillis)
                    """
                ).run()
                // Claim the key first: of two top-ups racing with it, the second waits for the first to commit and
                // then inserts nothing (rather than failing on the key), and replays the winner below.
                let claimed = try await sql.raw(
                    """
                    INSERT INTO credit_requests (account_id, idempotency_key, request_hash, created_at)
                    VALUES (\(bind: accountID), \(bind: key), \(bind: fingerprint), \(bind: now))
                    ON CONFLICT (account_id, idempotency_key) DO NOTHING
                    RETURNING account_id
                    """
                ).first()
                if claimed == nil {
                    guard
                        let row = try await sql.raw(
                            "SELECT request_hash FROM credit_requests WHERE account_id = \(bind: accountID) AND idempotency_key = \(bind: key)"
                        ).first()
                    else { throw BillingError.inconsistent("top-up key \(key) neither claimed nor found") }
                    guard try row.decode(column: "request_hash", as: String.self) == fingerprint else { throw BillingError.idempotencyKeyReused }
                    return .replayed
                }
            }
            let seq = try await Ledger.credit(amount, account: accountID, note: note, on: sql)
            if let key = idempotencyKey {
                // The request names its credit: the books audit checks each keyed top-up against the row it made.
                try await sql.raw(
                    "UPDATE credit_requests SET ledger_seq = \(bind: seq) WHERE account_id = \(bind: accountID) AND idempotency_key = \(bind: key)"
                ).run()
            }
            return .credited
        }
    }

    /// What a top-up asks for (its account, amount and note), as kept with its key: a retry must ask for the same, and
    /// the audit finds the credit a request made by it.
    package static func fingerprint(accountID: String, amount: MicroUSD, note: String) -> String {
        Hex.string(SHA256.hash(data: Array("\(accountID)\u{0}\(amount.micros)\u{0}\(note)".utf8)))
    }
}
