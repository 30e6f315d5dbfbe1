import Essentials
import Foundation
import SQLKit
import Storage
import Testing

@testable import Billing

/// Top-ups: once per key, and in a namespace of their own.
@Suite struct CreditsTests {
    let ledger = LedgerTests()

    @Test func aRetriedTopUpCreditsOnceAndAChangedOneIsRefused() async throws {
        try await self.ledger.withDatabase { database in
            let account = try await AccountStore(database: database).create(name: "acme")
            let credits = Credits(database: database)
            let ten = MicroUSD(micros: 10_000_000)
            #expect(try await credits.add(ten, accountID: account.id, note: "invoice 7", idempotencyKey: "inv-7") == .credited)
            #expect(try await credits.add(ten, accountID: account.id, note: "invoice 7", idempotencyKey: "inv-7") == .replayed)
            await #expect(throws: BillingError.idempotencyKeyReused) {
                try await credits.add(MicroUSD(micros: 20_000_000), accountID: account.id, note: "invoice 7", idempotencyKey: "inv-7")
            }
            let (available, _) = try await database.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available == ten)
        }
    }

    @Test func aTopUpKeyNeverMeetsACustomersGenerationKey() async throws {
        try await self.ledger.withDatabase { database in
            let account = try await AccountStore(database: database).create(name: "acme")
            // The customer used "k1" for a generation; the operator's top-up with "k1" is another thing entirely.
            // (Generation owns the generations' keys table, and Billing's tests do not link it: its shape here.)
            try await database.transaction { sql in
                try await sql.raw(
                    """
                    CREATE TABLE idempotency_keys (account_id TEXT NOT NULL, idempotency_key TEXT NOT NULL, request_hash TEXT NOT NULL,
                        generation_id TEXT NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (account_id, idempotency_key))
                    """
                ).run()
                try await sql.raw(
                    """
                    INSERT INTO idempotency_keys (account_id, idempotency_key, request_hash, generation_id, created_at)
                    VALUES (\(bind: account.id), 'k1', 'a-generation', 'gen_x', \(bind: Timestamp.nowMillis()))
                    """
                ).run()
            }
            #expect(
                try await Credits(database: database).add(MicroUSD(micros: 5), accountID: account.id, note: "n", idempotencyKey: "k1") == .credited
            )
            let (available, _) = try await database.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available.micros == 5)
        }
    }

    /// Issue 23 (7): on PostgreSQL two top-ups racing with one key both found no row, and the loser's insert hit the
    /// unique key: a 500. Now the loser replays the winner, whatever the engine, and the account is credited once.
    @Test func concurrentTopUpsWithOneKeyCreditOnceAndReplayTheWinner() async throws {
        try await self.ledger.withDatabase { database in
            let account = try await AccountStore(database: database).create(name: "acme")
            let credits = Credits(database: database)
            let ten = MicroUSD(micros: 10_000_000)
            let outcomes = try await withThrowingTaskGroup(of: Credits.Outcome.self) { group in
                for _ in 0..<8 {
                    group.addTask { try await credits.add(ten, accountID: account.id, note: "invoice 9", idempotencyKey: "inv-9") }
                }
                return try await group.reduce(into: [Credits.Outcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .credited }.count == 1)
            #expect(outcomes.filter { $0 == .replayed }.count == 7)
            let (available, _) = try await database.read { sql in try await Ledger.balances(account: account.id, on: sql) }
            #expect(available == ten)
        }
    }
}
