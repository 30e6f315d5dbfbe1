import Billing
import SQLKit
import Storage

/// One "Add credit": its amount, its Checkout Session, and what became of it.
package struct PaymentOrder: Sendable, Equatable, Encodable {
    /// Where an order is.
    package enum Status: String, Sendable, Encodable {
        /// Waiting for the customer to pay on Stripe's page.
        case pending
        /// Paid and credited (once: its `topup` ledger row).
        case paid
        /// Stripe closed the session unpaid.
        case expired
        /// Stripe reported a payment that is not this order's amount or currency: not credited, flagged.
        case mismatch
    }

    package let id: String
    package let accountID: String
    package let amount: MicroUSD
    package let amountCents: Int64
    package let currency: String
    package let status: Status
    package let checkoutURL: String?
    package let paymentReference: String?
    package let takenBack: MicroUSD
    /// Why the operator should look at it (a refund, a dispute, a mismatch); nil when nothing happened.
    package let flag: String?
    package let createdAt: Int64
    /// When the payment was credited (nil until then).
    package let paidAt: Int64?

    /// The newest orders of every account.
    package static func recent(limit: Int, on database: any Database) async throws -> [PaymentOrder] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM payment_orders ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)").all().map(
                PaymentOrder.init(row:)
            )
        }
    }

    /// The accounts with a flagged order (a refund, a dispute, a mismatch), each with its newest order's flag: what
    /// the operator's list of people shows beside each account.
    package static func flags(on database: any Database) async throws -> [String: String] {
        try await database.read { sql in
            let rows = try await sql.raw(
                "SELECT account_id, flag FROM payment_orders WHERE flag IS NOT NULL ORDER BY created_at ASC, id ASC"
            ).all()
            var flags: [String: String] = [:]
            for row in rows {
                flags[try row.decode(column: "account_id", as: String.self)] = try row.decode(column: "flag", as: String.self)
            }
            return flags
        }
    }

    /// The account's orders, newest first.
    package static func recent(accountID: String, limit: Int, on database: any Database) async throws -> [PaymentOrder] {
        try await database.read { sql in
            try await sql.raw(
                "SELECT * FROM payment_orders WHERE account_id = \(bind: accountID) ORDER BY created_at DESC, id DESC LIMIT \(bind: limit)"
            ).all().map(PaymentOrder.init(row:))
        }
    }

    init(row: any SQLRow) throws {
        self.id = try row.decode(column: "id", as: String.self)
        self.accountID = try row.decode(column: "account_id", as: String.self)
        self.amount = MicroUSD(micros: try row.decode(column: "amount_micros", as: Int64.self))
        self.amountCents = try row.decode(column: "amount_cents", as: Int64.self)
        self.currency = try row.decode(column: "currency", as: String.self)
        self.status = Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending
        self.checkoutURL = try row.decode(column: "checkout_url", as: String?.self)
        self.paymentReference = try row.decode(column: "payment_reference", as: String?.self)
        self.takenBack = MicroUSD(micros: try row.decode(column: "taken_back_micros", as: Int64.self))
        self.flag = try row.decode(column: "flag", as: String?.self)
        self.createdAt = try row.decode(column: "created_at", as: Int64.self)
        self.paidAt = try row.decode(column: "paid_at", as: Int64?.self)
    }
}
