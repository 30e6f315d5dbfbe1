import Accounts
import Billing
import Foundation
import Generation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Testing

/// Idempotency, concurrency proofs, key limits and the audit, through the public API.
@Suite struct BillingIntegrityTests {
    @Test func twoHundredParallelRequestsAgainstABalanceForFifty() async throws {
        let instance = try await TestInstance.make(creditMicros: 50 * 14_000, settings: ["workers": "4"])
        defer { instance.cleanUp() }
        let statuses = try await instance.run { client in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        Int(
                            try await client.generate(try body(set: ["prompt": "parallel \(index)", "output_format": "jpeg"]), key: instance.apiKey)
                                .status.code
                        )
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
        }
        #expect(statuses.filter { $0 == 200 }.count == 50)
        #expect(statuses.filter { $0 == 402 }.count == 150, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        let balance = try await instance.balance()
        #expect(balance.available == 0 && balance.held == 0)
        let report = try await instance.withDatabase { try await BooksAudit.run(on: $0) }
        #expect(report.isClean, "\(report.problems)")
        #expect(report.charged.micros == 50 * 14_000)
    }

    @Test func twentyParallelRetriesWithOneIdempotencyKeyMakeOneGeneration() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        let requestBody = try body(set: ["num_images": 2])
        let ids = try await instance.run { client in
            try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let response = try await client.generate(
                            requestBody,
                            key: instance.apiKey,
                            headers: [HTTPField.Name("Idempotency-Key")!: "order-42"]
                        )
                        return try response.json()["generation_id"] as? String
                    }
                }
                return try await group.reduce(into: Set<String?>()) { $0.insert($1) }
            }
        }
        #expect(ids.count == 1 && ids.first! != nil, "\(ids)")
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 - 28_000 && balance.held == 0)
        let generations = try await instance.withDatabase { db in
            try await db.read { sql in try await sql.raw("SELECT COUNT(*) AS n FROM generations").first()!.decode(column: "n", as: Int.self) }
        }
        #expect(generations == 1)
    }

    @Test func aReplayIsMarkedAndADifferentBodyIs409() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "abc"]
            let first = try await client.generate(quickstartBody, key: instance.apiKey, headers: key)
            #expect(first.status == .ok)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let again = try await client.generate(quickstartBody, key: instance.apiKey, headers: key)
            #expect(again.status == .ok)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try again.json()["generation_id"] as? String == first.json()["generation_id"] as? String)
            let other = try await client.generate(try body(set: ["prompt": "something else"]), key: instance.apiKey, headers: key)
            #expect(other.status == .conflict)
            #expect(try other.json()["code"] as? String == "idempotency_key_reused")
            #expect(other.headers[HTTPField.Name("x-should-retry")!] == "false")
        }
        #expect(try await instance.balance().available == 10_000_000 - 14_000)
    }

    @Test func keyLimitsRefuseBeforeAnyCharge() async throws {
        let instance = try await TestInstance.make(settings: ["sync-timeout": "0"])
        defer { instance.cleanUp() }
        let (limited, single) = try await instance.withDatabase { db in
            let keys = APIKeyStore(database: db)
            let limited = try await keys.create(accountID: instance.accountID, dailyLimit: MicroUSD(micros: 30_000)).secret
            let single = try await keys.create(accountID: instance.accountID, maxConcurrency: 1).secret
            return (limited, single)
        }
        try await instance.run { client in
            #expect(try await client.generate(try body(set: ["num_images": 2]), key: limited).status == .accepted)
            let over = try await client.generate(try body(set: ["num_images": 1]), key: limited)
            #expect(over.status.code == 402)
            #expect(try over.json()["code"] as? String == "daily_limit_exceeded")

            let async: HTTPFields = [HTTPField.Name("Prefer")!: "respond-async"]
            #expect(try await client.generate(try body(set: ["num_images": 6]), key: single, headers: async).status == .accepted)
            let busy = try await client.generate(quickstartBody, key: single, headers: async)
            #expect(busy.status == .tooManyRequests)
            #expect(try busy.json()["code"] as? String == "concurrency_limit_exceeded")
            #expect(busy.headers[.retryAfter] != nil)
        }
    }

    @Test func theAuditFindsTampering() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let status = try await client.generate(quickstartBody, key: instance.apiKey).status
            #expect(status == .ok)
        }
        let clean = try await instance.withDatabase { try await BooksAudit.run(on: $0) }
        #expect(clean.isClean, "\(clean.problems)")
        let tampered = try await instance.withDatabase { db in
            try await db.transaction { sql in try await sql.raw("UPDATE accounts SET balance_micros = balance_micros + 1").run() }
            return try await BooksAudit.run(on: db)
        }
        #expect(!tampered.isClean)
    }
}
