import Accounts
import Billing
import Foundation
import StorageTestSupport
import Testing

/// The figures `/metrics` reads at scrape decode on both engines (PostgreSQL's `sum` of a `BIGINT` is a `NUMERIC`)
/// and add up what is in the database.
@Suite struct LiveFiguresTests {
    @Test func anEmptyDatabaseAndThenTwoAccounts() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("figures-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory, schema: .engine)
        try await withCleanup {
            #expect(try await LiveFigures.read(on: database) == LiveFigures())
            let accounts = AccountStore(database: database)
            _ = try await accounts.create(name: "a", credit: MicroUSD(micros: 2_500_000))
            _ = try await accounts.create(name: "b", credit: MicroUSD(micros: 500_000))
            let figures = try await LiveFigures.read(on: database)
            #expect(figures.balanceMicros == 3_000_000 && figures.heldMicros == 0)
            #expect(figures.queued == 0 && figures.oldestQueuedAt == nil && figures.webhookBacklog == 0)
        } cleanup: {
            try? await database.close()
        }
    }
}
