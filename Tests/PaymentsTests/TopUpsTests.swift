import AsyncHTTPClient
import Billing
import Essentials
import Foundation
import Logging
import SQLKit
import Storage
import StorageTestSupport
import Testing

@testable import Payments

/// The money side of card top-ups on the real database (SQLite, or PostgreSQL with IMAGEGATE_TEST_POSTGRES): one
/// paid event delivered by many requests at once credits once; a refund takes back only what is unspent.
@Suite struct TopUpsTests {
    static let secret = "whsec_topups"

    static func withTopUps(_ body: (TopUps, any Database, String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("topups-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(
            directory: directory,
            schema: Migrations([Migrations.storageSteps, BillingTables.migrations, PaymentTables.migrations])
        )
        let settings = TopUps.Settings(
            checkout: StripeCheckout.Settings(secretKey: "sk_test_unused", apiBase: "http://127.0.0.1:9"),
            webhookSecret: Self.secret,
            publicURL: "http://127.0.0.1"
        )
        let topUps = TopUps(database: database, settings: settings, client: .shared, logger: Logger(label: "topups-test"))
        let account = try await AccountStore(database: database).create(name: "buyer")
        do {
            try await body(topUps, database, account.id)
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
    }

    /// An order as `checkout` leaves it once Stripe answered (written directly: Stripe is not called here).
    static func order(_ database: any Database, account: String, cents: Int64, session: String) async throws -> String {
        let id = Identifier.make("ord")
        try await database.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO payment_orders (id, account_id, amount_micros, amount_cents, currency, status, checkout_session_id, created_at)
                VALUES (\(bind: id), \(bind: account), \(bind: cents * 10_000), \(bind: cents), 'usd', 'pending', \(bind: session), 0)
                """
            ).run()
        }
        return id
    }

    static func event(_ id: String, type: String, object: String) -> [UInt8] {
        Array(#"{"id":"\#(id)","object":"event","type":"\#(type)","data":{"object":\#(object)}}"#.utf8)
    }

    static func deliver(_ topUps: TopUps, _ body: [UInt8]) async throws(PaymentError) -> TopUps.Outcome {
        let now = Timestamp.nowMillis() / 1000
        return try await topUps.receive(body, signature: StripeSignature(secret: Self.secret).header(for: body, timestamp: now))
    }

    static func available(_ database: any Database, _ account: String) async throws -> Int64 {
        try await database.read { sql in try await Ledger.balances(account: account, on: sql) }.available.micros
    }

    @Test func oneEventDeliveredManyTimesAtOnceCreditsOnce() async throws {
        try await Self.withTopUps { topUps, database, account in
            let order = try await Self.order(database, account: account, cents: 1_000, session: "cs_test_1")
            let completed = Self.event(
                "evt_paid",
                type: "checkout.session.completed",
                object:
                    #"{"id":"cs_test_1","object":"checkout.session","payment_status":"paid","amount_total":1000,"currency":"usd","client_reference_id":"\#(order)","payment_intent":"pi_1"}"#
            )
            let outcomes = try await withThrowingTaskGroup(of: TopUps.Outcome.self) { group in
                for _ in 0..<8 { group.addTask { try await Self.deliver(topUps, completed) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .credited }.count == 1 && outcomes.filter { $0 == .alreadyHandled }.count == 7)
            let balance = try await Self.available(database, account)
            #expect(balance == 10_000_000)
            // Another event about the same session (`async_payment_succeeded` after `completed`) credits nothing more.
            let later = Array(String(decoding: completed, as: UTF8.self).replacingOccurrences(of: "evt_paid", with: "evt_async").utf8)
            #expect(try await Self.deliver(topUps, later) == .alreadyHandled)
            let after = try await Self.available(database, account)
            #expect(after == 10_000_000)
        }
    }

    @Test func aRefundTakesBackOnlyWhatIsUnspentAndARetryTakesNothingMore() async throws {
        try await Self.withTopUps { topUps, database, account in
            let order = try await Self.order(database, account: account, cents: 400, session: "cs_test_2")
            let paid =
                #"{"id":"cs_test_2","payment_status":"paid","amount_total":400,"currency":"usd","client_reference_id":"\#(order)","payment_intent":"pi_2"}"#
            let refund = #"{"id":"ch_2","object":"charge","payment_intent":"pi_2","amount_refunded":400}"#
            // Out of order: the refund first is refused for a retry, and changes nothing.
            await #expect(throws: PaymentError.self) {
                try await Self.deliver(topUps, Self.event("evt_refund", type: "charge.refunded", object: refund))
            }
            #expect(try await Self.deliver(topUps, Self.event("evt_paid2", type: "checkout.session.completed", object: paid)) == .credited)
            // $3 of the $4 spent, as a debit here (a generation's charge in the product).
            try await database.transaction { sql in
                _ = try await Ledger.takeBack(upTo: MicroUSD(micros: 3_000_000), account: account, note: "spent", on: sql)
            }
            #expect(try await Self.deliver(topUps, Self.event("evt_refund", type: "charge.refunded", object: refund)) == .takenBack)
            let balance = try await Self.available(database, account)
            #expect(balance == 0, "the unspent $1 taken back, never below zero")
            #expect(try await Self.deliver(topUps, Self.event("evt_refund_2", type: "charge.refunded", object: refund)) == .takenBack)
            let state = try await topUps.order(id: order, accountID: account)
            #expect(state.takenBack.micros == 4_000_000 && state.flag?.hasPrefix("refunded") == true)
        }
    }

    @Test func aDelayedPaymentIsCreditedWhenItSucceedsAndADisputeFlagsTheAccount() async throws {
        try await Self.withTopUps { topUps, database, account in
            let order = try await Self.order(database, account: account, cents: 500, session: "cs_test_3")
            let session = { (status: String) in
                #"{"id":"cs_test_3","payment_status":"\#(status)","amount_total":500,"currency":"usd","client_reference_id":"\#(order)","payment_intent":"pi_3"}"#
            }
            // A bank debit completes the session unpaid: nothing yet; the money's arrival credits it.
            let completed = Self.event("evt_completed3", type: "checkout.session.completed", object: session("unpaid"))
            #expect(try await Self.deliver(topUps, completed) == .pending)
            #expect(try await Self.available(database, account) == 0)
            let succeeded = Self.event("evt_succeeded3", type: "checkout.session.async_payment_succeeded", object: session("paid"))
            #expect(try await Self.deliver(topUps, succeeded) == .credited)
            #expect(try await Self.available(database, account) == 5_000_000)
            #expect(try await PaymentOrder.flags(on: database).isEmpty)
            // A dispute for the whole payment: what is unspent goes back, and the account is flagged for the operator.
            let dispute = #"{"id":"dp_3","object":"dispute","payment_intent":"pi_3","amount":500}"#
            #expect(try await Self.deliver(topUps, Self.event("evt_dispute3", type: "charge.dispute.created", object: dispute)) == .takenBack)
            #expect(try await Self.available(database, account) == 0)
            let flag = try #require(try await PaymentOrder.flags(on: database)[account])
            #expect(flag.hasPrefix("disputed: $5.00 returned to the card"))
        }
    }
}
