import AsyncHTTPClient
import Billing
import Essentials
import Foundation
import Logging
import SQLKit
import Storage

/// Card top-ups through Stripe Checkout: an order is written first, then its Checkout Session is opened; Stripe's
/// signed events credit a paid order exactly once, close an expired one, and take back (as far as it is unspent) what
/// a refund or a dispute returns to the card, flagging the order for the operator.
package struct TopUps: Sendable {
    /// The operator's settings.
    package struct Settings: Sendable {
        package var checkout: StripeCheckout.Settings
        package var webhookSecret: String
        /// Where the customer lands after paying or giving up (`--public-url` + `/account`).
        package var publicURL: String
        package var minimum = MicroUSD(micros: 5_000_000)
        package var maximum = MicroUSD(micros: 500_000_000)

        package init(checkout: StripeCheckout.Settings, webhookSecret: String, publicURL: String) {
            self.checkout = checkout
            self.webhookSecret = webhookSecret
            self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
        }
    }

    /// What one event did.
    package enum Outcome: String, Sendable {
        case credited, alreadyHandled = "already_handled", closed, flagged, takenBack = "taken_back", ignored, pending
    }

    let database: any Database
    /// Nil when Stripe is not configured: every call then says so.
    let settings: Settings?
    let client: HTTPClient
    let clock: any WallClock
    let logger: Logger

    package init(database: any Database, settings: Settings?, client: HTTPClient, clock: any WallClock = SystemClock(), logger: Logger) {
        self.database = database
        self.settings = settings
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    package var isConfigured: Bool { self.settings != nil }

    /// The bounds of one top-up (nil when payments are off).
    package var bounds: (minimum: MicroUSD, maximum: MicroUSD)? { self.settings.map { ($0.minimum, $0.maximum) } }

    /// Writes an order for `amount` and opens its Checkout Session; the order carries the session's `url`.
    package func checkout(accountID: String, amount: MicroUSD) async throws(PaymentError) -> PaymentOrder {
        guard let settings else {
            throw PaymentError(.notConfigured, "Card payments are not set up on this server; ask its operator to add credit.")
        }
        guard amount >= settings.minimum, amount <= settings.maximum, amount.micros % 10_000 == 0 else {
            throw PaymentError(
                .invalidAmount,
                "amount_usd must be whole cents between \(settings.minimum.formatted) and \(settings.maximum.formatted)."
            )
        }
        let id = Identifier.make("ord")
        let now = self.clock.nowMillis()
        do {
            try await self.database.transaction { sql in
                try await sql.raw(
                    """
                    INSERT INTO payment_orders (id, account_id, amount_micros, amount_cents, currency, status, created_at)
                    VALUES (\(bind: id), \(bind: accountID), \(bind: amount.micros), \(bind: amount.micros / 10_000), 'usd', 'pending', \(bind: now))
                    """
                ).run()
            }
        } catch {
            throw PaymentError(.upstream, "The order could not be recorded: \(error).")
        }
        let order = try await self.order(id: id, accountID: accountID)
        let stripe = StripeCheckout(settings: settings.checkout, client: self.client)
        let session = try await stripe.createSession(
            for: order,
            successURL: "\(settings.publicURL)/account?payment=\(id)",
            cancelURL: "\(settings.publicURL)/account?payment=\(id)&cancelled=1"
        )
        do {
            try await self.database.transaction { sql in
                try await sql.raw(
                    """
                    UPDATE payment_orders SET checkout_session_id = \(bind: session.id), checkout_url = \(bind: session.url)
                    WHERE id = \(bind: id)
                    """
                ).run()
            }
        } catch {
            throw PaymentError(.upstream, "The checkout session could not be recorded: \(error).")
        }
        return try await self.order(id: id, accountID: accountID)
    }

    /// One of the account's orders.
    /// The account's orders, newest first.
    package func orders(accountID: String, limit: Int) async throws -> [PaymentOrder] {
        try await PaymentOrder.recent(accountID: accountID, limit: limit, on: self.database)
    }

    package func order(id: String, accountID: String) async throws(PaymentError) -> PaymentOrder {
        let found: PaymentOrder?
        do {
            found = try await self.database.read { sql in
                try await sql.raw("SELECT * FROM payment_orders WHERE id = \(bind: id) AND account_id = \(bind: accountID)").first().map(
                    PaymentOrder.init(row:)
                )
            }
        } catch {
            throw PaymentError(.upstream, "The order could not be read: \(error).")
        }
        guard let found else { throw PaymentError(.notFound, "No payment order with this id.") }
        return found
    }

    /// Handles one delivery of `POST /webhooks/stripe`: the signature on the raw body first, then the event, once.
    package func receive(_ body: [UInt8], signature: String?) async throws(PaymentError) -> Outcome {
        guard let settings else { throw PaymentError(.notConfigured, "Card payments are not set up on this server.") }
        try StripeSignature(secret: settings.webhookSecret).verify(body, header: signature, now: self.clock.nowMillis() / 1000)
        guard let event = try? JSONDecoder().decode(StripeEvent.self, from: Data(body)) else {
            throw PaymentError(.badEvent, "The body is not a Stripe event.")
        }
        do {
            let outcome = try await self.database.transaction { sql in
                try await self.apply(event, on: sql)
            }
            self.logger.info("stripe event", metadata: ["event": "\(event.id)", "type": "\(event.type)", "outcome": "\(outcome.rawValue)"])
            return outcome
        } catch let error as PaymentError {
            throw error
        } catch {
            throw PaymentError(.upstream, "The event could not be recorded: \(error).")
        }
    }

    /// The event's changes, with its id, in one transaction: a second delivery finds the id and changes nothing.
    func apply(_ event: StripeEvent, on sql: any SQLDatabase) async throws -> Outcome {
        let fresh = try await sql.raw(
            """
            INSERT INTO stripe_events (id, type, received_at) VALUES (\(bind: event.id), \(bind: event.type), \(bind: self.clock.nowMillis()))
            ON CONFLICT (id) DO NOTHING RETURNING id
            """
        ).first()
        guard fresh != nil else { return .alreadyHandled }
        let object = event.data.object
        switch event.type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded":
            return try await self.fulfil(object, on: sql)
        case "checkout.session.expired":
            try await sql.raw(
                "UPDATE payment_orders SET status = 'expired' WHERE checkout_session_id = \(bind: object.id ?? "") AND status = 'pending'"
            ).run()
            return .closed
        case "charge.refunded":
            return try await self.takeBack(payment: object.paymentIntent, cumulativeCents: object.amountRefunded ?? 0, flag: "refunded", on: sql)
        case "charge.dispute.created":
            return try await self.takeBack(payment: object.paymentIntent, cumulativeCents: object.amount ?? 0, flag: "disputed", on: sql)
        default:
            return .ignored
        }
    }

    /// Credits a paid session's order once, when Stripe's amount and currency are the order's.
    func fulfil(_ session: StripeObject, on sql: any SQLDatabase) async throws -> Outcome {
        guard
            let row = try await sql.raw(
                """
                UPDATE payment_orders SET status = status
                WHERE id = \(bind: session.clientReferenceID ?? "") AND checkout_session_id = \(bind: session.id ?? "") RETURNING *
                """
            ).first()
        else { throw PaymentError(.notYet, "No order for this session yet.") }
        let order = try PaymentOrder(row: row)
        guard order.status == .pending else { return .alreadyHandled }
        // Delayed methods complete the session unpaid; `async_payment_succeeded` comes when the money does.
        guard session.paymentStatus == "paid" else { return .pending }
        guard session.amountTotal == order.amountCents, session.currency?.lowercased() == order.currency else {
            try await sql.raw(
                """
                UPDATE payment_orders SET status = 'mismatch', payment_reference = \(bind: session.paymentIntent),
                    flag = \(bind: "Stripe reported \(session.amountTotal ?? 0) \(session.currency ?? "?") for an order of \(order.amountCents) \(order.currency)")
                WHERE id = \(bind: order.id)
                """
            ).run()
            self.logger.warning("stripe payment does not match its order; not credited", metadata: ["order": "\(order.id)"])
            return .flagged
        }
        let seq = try await Ledger.credit(
            order.amount,
            account: order.accountID,
            note: "card top-up \(order.id) (Stripe \(session.paymentIntent ?? session.id ?? "-"))",
            kind: .topup,
            on: sql
        )
        try await sql.raw(
            """
            UPDATE payment_orders SET status = 'paid', paid_at = \(bind: self.clock.nowMillis()), ledger_seq = \(bind: seq),
                payment_reference = \(bind: session.paymentIntent)
            WHERE id = \(bind: order.id)
            """
        ).run()
        return .credited
    }

    /// Takes back what a refund or a dispute returned to the card (Stripe's amounts are cumulative), as far as it is
    /// still unspent, and flags the order.
    func takeBack(payment: String?, cumulativeCents: Int64, flag: String, on sql: any SQLDatabase) async throws -> Outcome {
        guard
            let payment,
            let row = try await sql.raw(
                """
                UPDATE payment_orders SET status = status
                WHERE payment_reference = \(bind: payment) AND status IN ('paid', 'mismatch') RETURNING *
                """
            ).first()
        else { throw PaymentError(.notYet, "No paid order for this payment yet.") }
        let order = try PaymentOrder(row: row)
        guard order.status == .paid else { return try await self.flagReturn(of: order, cumulativeCents: cumulativeCents, flag: flag, on: sql) }
        let returned = min(cumulativeCents * 10_000, order.amount.micros)
        let owed = returned - order.takenBack.micros
        let taken =
            owed > 0
            ? try await Ledger.takeBack(upTo: MicroUSD(micros: owed), account: order.accountID, note: "\(flag) card top-up \(order.id)", on: sql)
            : .zero
        try await sql.raw(
            """
            UPDATE payment_orders SET taken_back_micros = taken_back_micros + \(bind: max(owed, 0)),
                flag = \(bind: "\(flag): \(MicroUSD(micros: returned).formatted) returned to the card, \(taken.formatted) of it taken back")
            WHERE id = \(bind: order.id)
            """
        ).run()
        self.logger.warning("card top-up \(flag)", metadata: ["order": "\(order.id)", "taken_back_micros": "\(taken.micros)"])
        return .takenBack
    }

    /// A refund or dispute of a mismatched payment: it was never credited, so nothing is taken back; the flag keeps
    /// what Stripe first reported and adds what went back, in Stripe's own amount and currency (answering "not yet"
    /// would have Stripe resend the event for days).
    func flagReturn(of order: PaymentOrder, cumulativeCents: Int64, flag: String, on sql: any SQLDatabase) async throws -> Outcome {
        let reported = order.flag?.components(separatedBy: "; ").first ?? "mismatch"
        try await sql.raw(
            """
            UPDATE payment_orders
            SET flag = \(bind: "\(reported); \(flag): \(cumulativeCents) (in the payment's currency's cents) returned to the card, never credited")
            WHERE id = \(bind: order.id)
            """
        ).run()
        self.logger.warning("mismatched card payment \(flag)", metadata: ["order": "\(order.id)"])
        return .flagged
    }
}
