import Billing
import Foundation
import Providers
import SQLKit
import Storage
import Testing

@testable import Generation
@testable import JobEngine

/// A settlement the database keeps refusing ends, bounded: the generation waits longer after each failure, then is
/// failed and refunded without asking the upstream again; and an upstream's words never make it refuse one.
@Suite struct SettlementFailureTests {
    typealias Harness = SettlementTests.Harness

    /// Workers over `harness`'s database with `settings`, until `id` is final (at most 60 s: a parallel suite on
    /// PostgreSQL can stall a run for seconds); the final record.
    static func runWorkers(until id: String, provider: ScriptedProvider, settings: GenerationSettings, _ harness: Harness) async throws
        -> GenerationRecord?
    {
        let service = try Harness.service(database: harness.database, directory: harness.directory, provider: provider, settings: settings)
        let workers = GenerationWorkers(service.dependencies, workers: 1, logger: harness.logger)
        let task = Task { try await workers.run() }
        defer { task.cancel() }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let record = try await service.store.get(id: id), record.status.isFinal { return record }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    @Test func aSettlementThatKeepsFailingBacksOffThenEndsFailedAndRefunded() async throws {
        // Every run delivers; the database refuses to end the generation any other way than by giving up.
        let provider = ScriptedProvider(Array(repeating: .deliver(1), count: 20))
        try await Harness.with(provider: provider) { harness in
            try await Self.refuseSettlementsButGivingUp(harness.database)
            var settings = GenerationSettings(retentionMillis: 60_000, sweepIntervalMillis: 50, maxAttempts: 100)
            settings.maxSettleFailures = 3
            settings.settleBackoffMillis = 150
            let record = try await harness.submit(numImages: 1)
            let started = ContinuousClock.now
            let final = try #require(try await Self.runWorkers(until: record.id, provider: provider, settings: settings, harness))
            #expect(final.status == .failed && final.charged.micros == 0 && final.refunded == final.hold)
            #expect(final.settleFailures == 3)
            #expect(final.upstreamError?.contains("settle_failed") == true, "the reason is recorded")
            #expect(provider.calls == 3, "one upstream run per failed settlement; the last run asks nobody")
            #expect(ContinuousClock.now - started >= .milliseconds(150 + 300), "each failure waits longer (150, 300 ms)")
            #expect(try await harness.ledger(record.id).map(\.kind) == [.hold, .refund])
        }
    }

    @Test func anUpstreamErrorWithNULIsStoredAndTheGenerationSettlesAtOnce() async throws {
        // On PostgreSQL a NUL in a statement fails it: before, every settlement of this generation failed for ever.
        let error = ProviderError(
            code: .upstreamFailed,
            message: "The upstream failed: Runner crashed: \u{0}core dumped.",
            upstreamType: "runner\u{0}disconnected",
            upstreamDetail: "{\"detail\":\"Runner crashed: \u{0}\"}"
        )
        let provider = ScriptedProvider([.fail(error)])
        try await Harness.with(provider: provider) { harness in
            let record = try await harness.submit(numImages: 1)
            let final = try #require(
                try await Self.runWorkers(until: record.id, provider: provider, settings: GenerationSettings(retentionMillis: 60_000), harness)
            )
            #expect(final.status == .failed && final.refunded == final.hold)
            #expect(provider.calls == 1 && final.settleFailures == 0)
            #expect(final.errorMessage == "The upstream failed: Runner crashed: \u{FFFD}core dumped.")
            #expect(!(final.upstreamError ?? "").contains("\u{0}") && !(final.upstreamError ?? "").contains("\\u0000"))
        }
    }

    /// Makes the database refuse to end a generation (as a PostgreSQL refuses text with NUL), except as given up
    /// after failed settlements.
    static func refuseSettlementsButGivingUp(_ database: any Database) async throws {
        let refused = "NEW.status <> 'processing' AND COALESCE(NEW.upstream_error_json, '') NOT LIKE '%settle_failed%'"
        let statements: [String] =
            switch database.dialect {
            case .sqlite:
                [
                    """
                    CREATE TRIGGER refuse_settlements BEFORE UPDATE ON generations WHEN \(refused)
                    BEGIN SELECT RAISE(ABORT, 'settlement refused'); END
                    """
                ]
            case .postgres:
                [
                    """
                    CREATE FUNCTION refuse_settlements() RETURNS trigger AS $$
                    BEGIN IF \(refused) THEN RAISE EXCEPTION 'settlement refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql
                    """,
                    "CREATE TRIGGER refuse_settlements BEFORE UPDATE ON generations FOR EACH ROW EXECUTE FUNCTION refuse_settlements()",
                ]
            }
        try await database.transaction { sql in
            for statement in statements { try await sql.raw(SQLQueryString(statement)).run() }
        }
    }
}
