import Billing
import Foundation
import Providers
import Storage
import Testing

@testable import Accounts
@testable import Generation
@testable import JobEngine
@testable import Webhooks

/// Webhooks' signatures, retry schedule and outbox, on a real SQLite database. (Delivery over HTTP, with the
/// official verifier, is proven in `e2e/test_webhooks.py`.)
@Suite struct WebhookTests {
    typealias Harness = SettlementTests.Harness

    @Test func signaturesMatchTheStandardWebhooksSpecificationsVector() {
        // The example of the specification and of its reference libraries.
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func aRotatedSecretSignsBesideTheNewOneUntilItsOverlapEnds() {
        let secret = WebhookSecret(current: "whsec_bmV3", previous: "whsec_b2xk", previousUntil: 1_000)
        #expect(secret.signing(at: 999) == ["whsec_bmV3", "whsec_b2xk"])
        #expect(secret.signing(at: 1_000) == ["whsec_bmV3"])
        let header = WebhookSignature.header(id: "msg_1", timestamp: 1, body: [], secrets: secret.signing(at: 0))
        #expect(header.split(separator: " ").count == 2 && header.split(separator: " ").allSatisfy { $0.hasPrefix("v1,") })
    }

    @Test func retriesBackOffExponentiallyWithJitterUpToTheirCap() {
        let settings = WebhookSettings()
        #expect(settings.retryDelay(afterAttempt: 1, jitter: 0) == 2_500)
        #expect(settings.retryDelay(afterAttempt: 1, jitter: 1) == 5_000)
        #expect(settings.retryDelay(afterAttempt: 3, jitter: 1) == 20_000)
        #expect(settings.retryDelay(afterAttempt: 30, jitter: 1) == 3_600_000)
        #expect(settings.retryDelay(afterAttempt: 1_000, jitter: 0.5) == 2_700_000)
        // Never longer than the cap, so a delivery gets an attempt at least every hour of its 24 hours.
        for attempt in 1...60 { #expect(settings.retryDelay(afterAttempt: attempt, jitter: 1) <= settings.maxRetryMillis) }
    }

    /// Submits a generation asking for a webhook (to a public address literal: nothing is sent in these tests).
    static func submit(_ harness: Harness, webhook: Bool = true) async throws -> GenerationRecord {
        let hook = webhook ? #","webhook_url":"https://203.0.114.7/hooks/imagegate""# : ""
        let (parameters, model) = try harness.service.validator.validate(
            body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"x\"\(hook)}".utf8)
        )
        return try await harness.service.submit(parameters, model: model, accountID: harness.accountID, apiKeyID: nil, logger: harness.logger).record
    }

    @Test(arguments: ["generation.completed", "generation.failed", "generation.cancelled"])
    func theEventIsWrittenWithTheSettlementExactlyOnce(event: String) async throws {
        let step: ScriptedProvider.Step =
            event == "generation.failed" ? .fail(ProviderError(code: .upstreamFailed, message: "no")) : .deliver(1)
        try await Harness.with(provider: ScriptedProvider([step])) { harness in
            let record = try await Self.submit(harness)
            // Not before it ends: the event does not exist while it runs.
            #expect(try await harness.service.webhook(generationID: record.id, accountID: harness.accountID) == nil)
            if event == "generation.cancelled" {
                _ = try await harness.service.cancel(id: record.id, accountID: harness.accountID, waitingUpTo: .zero)
            } else {
                await harness.engine.process(record.id, logger: harness.logger)
            }
            // Running it again (a restart, a second worker) settles nothing and writes no second event.
            await harness.engine.process(record.id, logger: harness.logger)
            let delivery = try #require(try await harness.service.webhook(generationID: record.id, accountID: harness.accountID))
            #expect(delivery.event == event && delivery.state == .pending && delivery.url == "https://203.0.114.7/hooks/imagegate")
            let rows = try await harness.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM webhook_deliveries WHERE generation_id = \(bind: record.id)").first()?
                    .decode(column: "n", as: Int.self)
            }
            #expect(rows == 1)
            #expect(try await BooksAudit.run(on: harness.database).isClean)
            // An event lost from the outbox is named by the audit.
            try await harness.database.transaction { sql in
                try await sql.raw("DELETE FROM webhook_deliveries WHERE generation_id = \(bind: record.id)").run()
            }
            #expect(
                try await BooksAudit.run(on: harness.database).problems == ["generation \(record.id): 0 webhook events, expected 1 [webhook_event]"]
            )
            // Another account sees nothing, and cannot redeliver it.
            #expect(try await harness.service.webhook(generationID: record.id, accountID: "acct_other") == nil)
            #expect(try await harness.service.redeliverWebhook(generationID: record.id, accountID: "acct_other") == nil)
        }
    }

    @Test func aGenerationWithoutWebhookWritesNoEvent() async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(1)])) { harness in
            let record = try await Self.submit(harness, webhook: false)
            await harness.engine.process(record.id, logger: harness.logger)
            #expect(try await harness.service.webhook(generationID: record.id, accountID: harness.accountID) == nil)
        }
    }

    @Test func aWebhookToAPrivateAddressIsRefusedBeforeAnyHold() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            for url in ["http://127.0.0.1:8080/x", "http://169.254.169.254/latest", "http://[::1]/x", "http://10.0.0.8/x"] {
                let (parameters, model) = try harness.service.validator.validate(
                    body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"x\",\"webhook_url\":\"\(url)\"}".utf8)
                )
                let error = await #expect(throws: RequestError.self) {
                    try await harness.service.submit(parameters, model: model, accountID: harness.accountID, apiKeyID: nil, logger: harness.logger)
                }
                #expect(error?.param == "webhook_url", "\(url)")
            }
            for url in ["ftp://example.com/x", "https://user:pw@example.com/x", "/relative", "https://"] {
                #expect(throws: RequestError.self, "\(url)") {
                    try harness.service.validator.validate(
                        body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"x\",\"webhook_url\":\"\(url)\"}".utf8)
                    )
                }
            }
            let (available, held) = try await harness.balances()
            #expect(available == 1_000_000 && held == 0)
        }
    }
}
