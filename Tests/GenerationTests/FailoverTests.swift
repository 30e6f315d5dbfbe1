import Billing
import Catalog
import Essentials
import Providers
import Storage
import StorageTestSupport
import Testing

@testable import Accounts
@testable import Generation
@testable import JobEngine

/// Failover on the engine and the real books: a generation moves to its model's next route only after an attempt
/// that provably started nothing billable, with the same hold and one charge; every attempt is on the books, and
/// together they bill what the generation records (the audit checks it).
@Suite struct FailoverTests {
    typealias Harness = SettlementTests.Harness

    /// Seedream 5 Lite on two routes, each a scripted supplier with its own price.
    static func routed(
        _ primary: ScriptedProvider,
        _ secondary: ScriptedProvider,
        breakers: RouteBreakers = RouteBreakers(),
        resendAfterUnknown: Bool? = nil,
        maxConcurrency: Int? = nil
    ) -> RoutedProvider {
        let first = ModelRoute(
            id: "primary",
            provider: .ark,
            model: "a",
            cost: .flat(35_000),
            maxConcurrency: maxConcurrency,
            resendAfterUnknown: resendAfterUnknown
        )
        return RoutedProvider(
            routes: [
                "seedream-5-lite": [
                    .init(route: first, provider: primary),
                    .init(route: ModelRoute(id: "secondary", provider: .ark, model: "b", cost: .flat(28_000)), provider: secondary),
                ]
            ],
            breakers: breakers
        )
    }

    static func attempts(_ harness: Harness, _ id: String) async throws -> [AttemptRecord] {
        try await harness.service.store.attempts(of: id)
    }

    @Test(arguments: [ProviderError.Code.notStarted, .routeUnusable, .supplierFailed])
    func anAttemptThatStartedNothingMovesToTheNextRouteAndIsChargedOnce(_ code: ProviderError.Code) async throws {
        let primary = ScriptedProvider([.fail(ProviderError(code: code, message: "refused"))])
        let secondary = ScriptedProvider([.deliver(2)])
        try await Harness.with(provider: Self.routed(primary, secondary)) { harness in
            let record = try await harness.run(numImages: 2)
            #expect(record.status == .completed && record.images.count == 2)
            #expect(record.charged.micros == 28_000 && record.refunded.micros == 0)
            #expect(record.route == "secondary")
            #expect(record.upstreamCost.micros == 56_000, "billed at the route that ran it")
            #expect(primary.calls == 1 && secondary.calls == 1)
            let kinds = try await harness.ledger(record.id).map(\.kind)
            #expect(kinds == [.hold, .charge], "one hold, one charge: the failover moved no money")
            let attempts = try await Self.attempts(harness, record.id)
            #expect(attempts.map(\.route) == ["primary", "secondary"])
            #expect(attempts.map(\.outcome) == [ProviderError(code: code, message: "").attemptOutcome, "completed"])
            #expect(attempts.map(\.upstreamCost) == [0, 56_000])
            #expect(attempts.allSatisfy { $0.endedAt != nil })
            let audit = try await BooksAudit.run(on: harness.database)
            #expect(audit.isClean, "\(audit.problems)")
        }
    }

    /// Content policy and invalid input are final (the answer would be the same elsewhere); an unknown outcome may
    /// have run and been billed: none of them moves on. The second route is never called (its script is empty: a
    /// call would fail loudly).
    @Test(arguments: [
        ProviderError(code: .contentPolicyViolation, message: "flagged"),
        ProviderError(code: .upstreamFailed, message: "invalid input"),
        ProviderError(code: .outcomeUnknown, message: "answer lost", billedImages: 1),
    ])
    func aFinalOrUnknownOutcomeNeverFailsOver(_ error: ProviderError) async throws {
        let primary = ScriptedProvider([.fail(error)])
        let secondary = ScriptedProvider([])
        try await Harness.with(provider: Self.routed(primary, secondary)) { harness in
            let record = try await harness.run(numImages: 1)
            #expect(record.status == .failed)
            #expect(record.charged.micros == 0 && record.refunded.micros == 14_000)
            #expect(secondary.calls == 0)
            let attempts = try await Self.attempts(harness, record.id)
            #expect(attempts.map(\.route) == ["primary"])
            #expect(attempts.map(\.upstreamCost) == [error.billedImages == 1 ? 35_000 : 0], "the possible bill is on the attempt")
            let audit = try await BooksAudit.run(on: harness.database)
            #expect(audit.isClean, "\(audit.problems)")
        }
    }

    @Test func aRouteTheSupplierRefusesIsSkippedUntilItsCooldownEnds() async throws {
        let clock = ManualClock()
        let breakers = RouteBreakers(clock: clock)
        let primary = ScriptedProvider([.fail(ProviderError(code: .routeUnusable, message: "key refused")), .deliver(1)])
        let secondary = ScriptedProvider([.deliver(1), .deliver(1)])
        try await Harness.with(provider: Self.routed(primary, secondary, breakers: breakers)) { harness in
            let value1 = try await harness.run(numImages: 1).route
            #expect(value1 == "secondary")
            #expect(breakers.status(of: [("seedream-5-lite", "primary")]).map(\.state) == [.open])
            // Open: the next generation goes straight to the second route.
            let value2 = try await harness.run(numImages: 1).route
            #expect(value2 == "secondary")
            #expect(primary.calls == 1)
            // After the cooldown, one probe goes to the first route; its success closes the breaker.
            clock.advance(byMillis: 30_000)
            let value3 = try await harness.run(numImages: 1).route
            #expect(value3 == "primary")
            #expect(breakers.status(of: [("seedream-5-lite", "primary")]).map(\.state) == [.closed])
        }
    }

    @Test func whenEveryRouteIsOpenTheLeastRecentlyFailedOneIsTried() async throws {
        let clock = ManualClock()
        let breakers = RouteBreakers(clock: clock)
        breakers.trip(model: "seedream-5-lite", route: "secondary")
        clock.advance(byMillis: 1000)
        breakers.trip(model: "seedream-5-lite", route: "primary")
        let primary = ScriptedProvider([])
        let secondary = ScriptedProvider([.deliver(1)])
        try await Harness.with(provider: Self.routed(primary, secondary, breakers: breakers)) { harness in
            let record = try await harness.run(numImages: 1)
            #expect(record.status == .completed && record.route == "secondary", "not refused outright")
            #expect(primary.calls == 0)
        }
    }

    @Test func theLastRouteFailingEndsTheGenerationWithOneRefund() async throws {
        let primary = ScriptedProvider([.fail(ProviderError(code: .notStarted, message: "busy"))])
        let secondary = ScriptedProvider([.fail(ProviderError(code: .notStarted, message: "busy too"))])
        try await Harness.with(provider: Self.routed(primary, secondary)) { harness in
            let record = try await harness.run(numImages: 1)
            #expect(record.status == .failed && record.refunded.micros == 14_000)
            let value4 = try await harness.ledger(record.id).map(\.kind)
            #expect(value4 == [.hold, .refund])
            let attempts = try await Self.attempts(harness, record.id)
            #expect(attempts.map(\.outcome) == ["not_started", "generation_failed"])
            let clean = try await BooksAudit.run(on: harness.database).isClean
            #expect(clean)
        }
    }

    /// A route that opted in (`resend_after_unknown`) passes an unknown outcome on to the next route: the first
    /// attempt carries its possible bill, the generation's upstream cost is both, one charge, and the audit is clean.
    @Test func aRouteThatOptedInResendsAfterAnUnknownOutcomeAndRecordsThePossibleBill() async throws {
        let primary = ScriptedProvider([.fail(ProviderError(code: .outcomeUnknown, message: "answer lost", billedImages: 1))])
        let secondary = ScriptedProvider([.deliver(1)])
        try await Harness.with(provider: Self.routed(primary, secondary, resendAfterUnknown: true)) { harness in
            let record = try await harness.run(numImages: 1)
            #expect(record.status == .completed && record.route == "secondary")
            #expect(record.charged.micros == 14_000 && record.refunded.micros == 0)
            #expect(record.upstreamCost.micros == 35_000 + 28_000, "the lost call and the delivered one")
            let attempts = try await Self.attempts(harness, record.id)
            #expect(attempts.map(\.outcome) == ["outcome_unknown", "completed"])
            #expect(attempts.map(\.upstreamCost) == [35_000, 28_000])
            let audit = try await BooksAudit.run(on: harness.database)
            #expect(audit.isClean, "\(audit.problems)")
        }
    }

    /// A concurrency cap of one: while a generation runs on the first route, the next one takes the second route.
    @Test func aRouteAtItsConcurrencyCapPassesTheNextGenerationOn() async throws {
        let gate = ScriptedProvider.Gate()
        let primary = ScriptedProvider([.deliverWhenOpened(gate, 1)])
        let secondary = ScriptedProvider([.deliver(1)])
        let routed = Self.routed(primary, secondary, maxConcurrency: 1)
        try await Harness.with(provider: routed) { harness in
            async let slow = harness.run(numImages: 1)
            // Waits until the first generation holds the primary's only slot.
            while routed.slots.running("seedream-5-lite/primary") == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let second = try await harness.run(numImages: 1)
            gate.open()
            let first = try await slow
            #expect(first.route == "primary" && second.route == "secondary")
            #expect(primary.calls == 1 && secondary.calls == 1)
            #expect(routed.slots.running("seedream-5-lite/primary") == 0, "the slot is given back")
        }
    }
}
