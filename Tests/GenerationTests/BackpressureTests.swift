import Billing
import Foundation
import Storage
import Testing

@testable import Generation
@testable import JobEngine

/// A bound on the queue (issue 28, item 7): past the server's or the account's bound, a new generation is refused
/// with `overloaded` (503 and `Retry-After` at the edge) before anything is held.
@Suite struct BackpressureTests {
    typealias Harness = SettlementTests.Harness

    @Test func pastTheServersOrTheAccountsBoundANewGenerationIsRefusedBeforeAnyHold() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            var settings = GenerationSettings(retentionMillis: 60_000)
            settings.maxQueued = 3
            settings.maxQueuedPerAccount = 2
            // Nobody runs these: every generation submitted stays queued.
            let service = try Harness.service(
                database: harness.database,
                directory: harness.directory,
                provider: ScriptedProvider([]),
                settings: settings
            )
            let other = try await AccountStore(database: harness.database).create(name: "other", credit: MicroUSD(micros: 1_000_000))

            _ = try await harness.submit(numImages: 1, on: service)
            _ = try await harness.submit(numImages: 1, on: service)
            let balance = try await harness.balances()
            let ownBound = await #expect(throws: RequestError.self) { try await harness.submit(numImages: 1, on: service) }
            #expect(ownBound?.code == .overloaded && ownBound?.retryAfterSeconds == 10)
            #expect(ownBound?.message.contains("This account has 2 generations waiting") == true, "\(ownBound?.message ?? "")")
            #expect(try await harness.balances() == balance, "nothing was held")

            // Another account still gets in, up to the server's bound.
            let (parameters, model) = try service.validator.validate(body: Array("{\"model\":\"seedream-5-lite\",\"prompt\":\"x\"}".utf8))
            _ = try await service.submit(parameters, model: model, accountID: other.id, apiKeyID: nil, logger: harness.logger)
            let serverBound = await #expect(throws: RequestError.self) {
                try await service.submit(parameters, model: model, accountID: other.id, apiKeyID: nil, logger: harness.logger)
            }
            #expect(serverBound?.code == .overloaded)
            #expect(serverBound?.message.contains("3 generations are waiting to run on this server") == true, "\(serverBound?.message ?? "")")
            let queued = try await harness.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM generations").first()?.decode(column: "n", as: Int.self)
            }
            #expect(queued == 3)
        }
    }
}
