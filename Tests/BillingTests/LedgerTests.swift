import Foundation
import SQLKit
import Storage
import StorageTestSupport
import Testing

@testable import Billing

/// Money arithmetic and the ledger, on a real database (SQLite, or PostgreSQL with `IMAGEGATE_TEST_POSTGRES`).
@Suite struct LedgerTests {
    func withDatabase<T>(_ body: (any Database) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ledger-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory, schema: Migrations([Migrations.storageSteps, BillingTables.migrations]))
        do {
            let result = try await body(database)
            try await database.close()
            return result
        } catch {
            try? await database.close()
            throw error
        }
    }

    @Test func microUSDParsesAndPrintsExactly() throws {
        #expect(MicroUSD(usd: "0.014")?.micros == 14_000)
        #expect(MicroUSD(usd: "10")?.micros == 10_000_000)
        #expect(MicroUSD(usd: ".5")?.micros == 500_000)
        #expect(MicroUSD(usd: "0.0000001") == nil)
        #expect(MicroUSD(usd: "abc") == nil)
        #expect(MicroUSD(usd: "1e3") == nil)
        #expect(MicroUSD(micros: 42_000).description == "0.042")
        #expect(MicroUSD(micros: 1).description == "0.000001")
        #expect(MicroUSD(micros: 10_000_000).description == "10")
        #expect(MicroUSD(micros: -1_500_000).description == "-1.5")
        // For people: the cents always, the exact amount beyond them.
        #expect(MicroUSD(micros: 0).formatted == "$0.00" && MicroUSD(micros: 10_000_000).formatted == "$10.00")
        #expect(MicroUSD(micros: 14_000).formatted == "$0.014" && MicroUSD(micros: -1_500_000).formatted == "-$1.50")
    }

    @Test(arguments: [(14_000, "0.014"), (42_000, "0.042"), (84_000, "0.084"), (1, "0.000001"), (9_972_000, "9.972"), (0, "0")])
    func microUSDEncodesAsAPlainDecimal(micros: Int64, json: String) throws {
        let data = try JSONEncoder().encode(["v": MicroUSD(micros: micros)])
        #expect(String(decoding: data, as: UTF8.self) == "{\"v\":\(json)}")
        let back = try JSONDecoder().decode([String: MicroUSD].self, from: data)
        #expect(back["v"]?.micros == micros)
    }

    @Test func holdSettleAndRefundKeepBalanceAndLedgerInStep() async throws {
        try await self.withDatabase { db in
            let account = try await AccountStore(database: db).create(name: "a", credit: MicroUSD(micros: 100_000))
            try await db.transaction { sql in try await Ledger.hold(MicroUSD(micros: 42_000), account: account.id, generation: "g1", on: sql) }
            try await db.transaction { sql in
                try await Ledger.settle(
                    charge: MicroUSD(micros: 28_000),
                    returned: MicroUSD(micros: 14_000),
                    returnKind: .release,
                    account: account.id,
                    generation: "g1",
                    on: sql
                )
            }
            try await db.transaction { sql in try await Ledger.hold(MicroUSD(micros: 14_000), account: account.id, generation: "g2", on: sql) }
            try await db.transaction { sql in
                try await Ledger.settle(
                    charge: .zero,
                    returned: MicroUSD(micros: 14_000),
                    returnKind: .refund,
                    account: account.id,
                    generation: "g2",
                    on: sql
                )
            }
            let (available, held) = try await db.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available.micros == 72_000 && held.micros == 0)
            let rows = try await db.read { sql in try await Ledger.recent(account: account.id, limit: 10, on: sql) }
            #expect(rows.reversed().map(\.kind) == [.credit, .hold, .charge, .release, .hold, .refund])
            #expect(rows.first?.balanceAfter.micros == 72_000)
            // Replaying the rows gives the same balances.
            let replay = rows.reduce((0 as Int64, 0 as Int64)) { sum, row in
                let effect = row.kind.effect(row.amount.micros)
                return (sum.0 + effect.available, sum.1 + effect.held)
            }
            #expect(replay == (72_000, 0))
        }
    }

    @Test func aHoldBeyondTheBalanceIsRefusedAndMovesNothing() async throws {
        try await self.withDatabase { db in
            let account = try await AccountStore(database: db).create(name: "a", credit: MicroUSD(micros: 10_000))
            await #expect(throws: BillingError.self) {
                try await db.transaction { sql in try await Ledger.hold(MicroUSD(micros: 14_000), account: account.id, generation: "g", on: sql) }
            }
            let (available, held) = try await db.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available.micros == 10_000 && held.micros == 0)
        }
    }

    @Test func concurrentHoldsNeverOverdraw() async throws {
        try await self.withDatabase { db in
            let account = try await AccountStore(database: db).create(name: "a", credit: MicroUSD(micros: 50 * 14_000))
            let successes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        (try? await db.transaction { sql in
                            try await Ledger.hold(MicroUSD(micros: 14_000), account: account.id, generation: "g\(index)", on: sql)
                        }) != nil
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(successes == 50)
            let (available, held) = try await db.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available.micros == 0 && held.micros == 50 * 14_000)
        }
    }

    @Test func keysAreStoredHashedAndRevocable() async throws {
        try await self.withDatabase { db in
            let account = try await AccountStore(database: db).create(name: "a")
            let keys = APIKeyStore(database: db)
            let (info, secret) = try await keys.create(accountID: account.id, label: "ci")
            #expect(secret.hasPrefix("ig_") && secret.count == 46)
            let stored = try await db.read { sql in try await sql.raw("SELECT * FROM api_keys").all() }
            let hash = try stored.first!.decode(column: "secret_hash", as: String.self)
            #expect(hash != secret && hash.count == 64 && !hash.contains(secret))
            #expect(try await keys.authenticate(secret: secret)?.accountID == account.id)
            #expect(try await keys.authenticate(secret: secret + "x") == nil)
            #expect(try await keys.revoke(prefix: info.prefix).count == 1)
            #expect(try await keys.authenticate(secret: secret) == nil)
            #expect(try await keys.revoke(prefix: "ig_").isEmpty, "a prefix shorter than 6 characters revokes nothing")
        }
    }

    @Test func aPersonRelabelsTheirOwnLiveKeyAndSetsOrRemovesItsDailyLimit() async throws {
        try await self.withDatabase { db in
            let accounts = AccountStore(database: db)
            let (mine, other) = (try await accounts.create(name: "mine"), try await accounts.create(name: "other"))
            let keys = APIKeyStore(database: db)
            let (info, _) = try await keys.create(accountID: mine.id, label: "laptop")
            let limited = try await keys.update(
                id: info.id,
                accountID: mine.id,
                label: "laptop (home)",
                dailyLimit: .some(MicroUSD(micros: 1_000_000))
            )
            #expect(limited?.label == "laptop (home)" && limited?.dailyLimit?.micros == 1_000_000)
            // Left out: kept. `.some(nil)`: the limit removed. What the store says is what the update answered.
            let unlimited = try await keys.update(id: info.id, accountID: mine.id, label: nil, dailyLimit: .some(nil))
            #expect(unlimited?.label == "laptop (home)" && unlimited?.dailyLimit == nil)
            #expect(try await keys.list(accountID: mine.id) == [try #require(unlimited)])
            // Another account's key, and a revoked key, are not anyone's to edit.
            #expect(try await keys.update(id: info.id, accountID: other.id, label: "stolen", dailyLimit: nil) == nil)
            _ = try await keys.revoke(id: info.id, accountID: mine.id)
            #expect(try await keys.update(id: info.id, accountID: mine.id, label: "late", dailyLimit: nil) == nil)
            #expect(try await keys.list(accountID: mine.id).first?.label == "laptop (home)")
        }
    }
}
