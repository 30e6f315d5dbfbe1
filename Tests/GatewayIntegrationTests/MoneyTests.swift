import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Testing

/// Holds, charges and refunds through the public API, including under concurrency.
@Suite struct MoneyTests {
    @Test func hundredConcurrentRequestsNeverOverdrawTheBalance() async throws {
        // Enough for exactly 30 images.
        let instance = try await TestInstance.make(creditMicros: 30 * 14_000, settings: ["workers": "4"])
        defer { instance.cleanUp() }
        let statuses = try await instance.run { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        try await client.generate(try body(set: ["prompt": "concurrent \(index)"]), key: instance.apiKey).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
        }
        #expect(statuses.filter { $0 == .ok }.count == 30)
        #expect(statuses.filter { $0 == .init(code: 402) }.count == 70)
        let balance = try await instance.balance()
        #expect(balance.available == 0)
        #expect(balance.held == 0)
        let charges = try await instance.withDatabase { db in
            try await db.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM ledger WHERE kind = 'charge'").first()!.decode(column: "n", as: Int.self)
            }
        }
        #expect(charges == 30)
    }

    @Test func multiImageHoldsAreAllOrNothing() async throws {
        // Enough for 10 images; requests for 3 each: at most 3 can run, leaving exactly one image's worth.
        let instance = try await TestInstance.make(creditMicros: 10 * 14_000)
        defer { instance.cleanUp() }
        let statuses = try await instance.run { client in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await client.generate(try body(set: ["prompt": "multi \(index)", "num_images": 3]), key: instance.apiKey).status
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
        }
        #expect(statuses.filter { $0 == .ok }.count == 3)
        let balance = try await instance.balance()
        #expect(balance.available == 14_000)
        #expect(balance.held == 0)
    }

    @Test func insufficientBalanceIs402WithNoRetryAndNoCharge() async throws {
        let instance = try await TestInstance.make(creditMicros: 20_000)
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(try body(set: ["num_images": 2]), key: instance.apiKey)
            #expect(response.status == .init(code: 402))
            #expect(try response.json()["code"] as? String == "insufficient_balance")
            #expect(response.headers[HTTPField.Name("x-should-retry")!] == "false")
        }
        let balance = try await instance.balance()
        #expect(balance.available == 20_000 && balance.held == 0)
    }

    @Test func accountShowsBalanceAndLedger() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            _ = try await client.generate(try body(set: ["num_images": 2]), key: instance.apiKey)
            let response = try await client.get("/v1/account", key: instance.apiKey)
            #expect(response.status == .ok)
            #expect(response.text.contains("\"balance_usd\":9.972"))
            #expect(response.text.contains("\"held_usd\":0"))
            let ledger = try #require(try response.json()["ledger"] as? [[String: Any]])
            #expect(ledger.map { $0["kind"] as? String } == ["charge", "hold", "credit"])
            #expect(response.text.contains("\"amount_usd\":0.028"))
        }
    }
}
