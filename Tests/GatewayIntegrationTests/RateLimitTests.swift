import Billing
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageGateTestSupport
import SQLKit
import StorageTestSupport
import Testing

/// Requests and images per minute, per key: a token bucket in the books' database, refused with
/// `429 rate_limited` and `Retry-After` before any hold, with the `RateLimit-*` headers on every answer.
@Suite struct RateLimitTests {
    static let async: HTTPFields = [HTTPField.Name("Prefer")!: "respond-async"]
    static let limit = HTTPField.Name("RateLimit-Limit")!
    static let remaining = HTTPField.Name("RateLimit-Remaining")!
    static let reset = HTTPField.Name("RateLimit-Reset")!

    /// Ledger rows of the test account: a refusal must add none.
    /// The account's holds: a refusal must add none. (Other rows come and go as accepted generations settle meanwhile.)
    static func ledgerRows(_ instance: TestInstance) async throws -> Int {
        try await instance.withDatabase { db in
            try await db.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM ledger WHERE account_id = \(bind: instance.accountID) AND kind = 'hold'").first()?
                    .decode(column: "n", as: Int.self) ?? 0
            }
        }
    }

    @Test func requestsPerMinuteRefillOverTheMinute() async throws {
        let clock = ManualClock()
        let instance = try await TestInstance.make { $0.clock = clock }
        defer { instance.cleanUp() }
        let key = try await instance.withDatabase { db in
            try await APIKeyStore(database: db).create(accountID: instance.accountID, requestsPerMinute: 3).secret
        }
        try await instance.run { client in
            for expected in [2, 1, 0] {
                let answer = try await client.generate(quickstartBody, key: key, headers: Self.async)
                #expect(answer.status == .accepted)
                #expect(answer.headers[Self.limit] == "3")
                #expect(answer.headers[Self.remaining] == String(expected))
            }
            let rowsBefore = try await Self.ledgerRows(instance)
            let refused = try await client.generate(quickstartBody, key: key, headers: Self.async)
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.json()["code"] as? String == "rate_limited")
            // One request comes back every 20 seconds; the bucket is full again a minute after it emptied.
            #expect(refused.headers[.retryAfter] == "20")
            #expect(refused.headers[Self.remaining] == "0")
            #expect(refused.headers[Self.reset] == "60")
            #expect(try await Self.ledgerRows(instance) == rowsBefore, "a refusal holds nothing")

            clock.advance(byMillis: 19_999)
            #expect(try await client.generate(quickstartBody, key: key, headers: Self.async).status == .tooManyRequests)
            clock.advance(byMillis: 1)
            let again = try await client.generate(quickstartBody, key: key, headers: Self.async)
            #expect(again.status == .accepted)
            #expect(again.headers[Self.remaining] == "0")

            // The default key has no limit of its own and the server none: no headers, no refusal.
            let free = try await client.generate(quickstartBody, key: instance.apiKey, headers: Self.async)
            #expect(free.status == .accepted)
            #expect(free.headers[Self.limit] == nil)
        }
    }

    @Test func imagesPerMinuteAreTakenWithTheHoldAndNeverForARefusal() async throws {
        let instance = try await TestInstance.make(settings: ["images-per-minute": "4"]) { $0.clock = ManualClock() }
        defer { instance.cleanUp() }
        try await instance.run { client in
            let first = try await client.generate(try body(set: ["num_images": 3]), key: instance.apiKey, headers: Self.async)
            #expect(first.status == .accepted)
            #expect(first.headers[Self.limit] == "4")
            #expect(first.headers[Self.remaining] == "1")

            let rowsBefore = try await Self.ledgerRows(instance)
            let over = try await client.generate(try body(set: ["num_images": 2]), key: instance.apiKey, headers: Self.async)
            #expect(over.status == .tooManyRequests)
            #expect(try over.json()["code"] as? String == "rate_limited")
            #expect(over.headers[.retryAfter] == "15")
            #expect(try await Self.ledgerRows(instance) == rowsBefore)

            // A request larger than a minute's quota can never pass: it is a 400 naming num_images, not a 429.
            let never = try await client.generate(try body(set: ["num_images": 5]), key: instance.apiKey, headers: Self.async)
            #expect(never.status == .badRequest)
            #expect(try never.json()["param"] as? String == "num_images")

            // The one image left is still there: the refusals took nothing.
            #expect(try await client.generate(quickstartBody, key: instance.apiKey, headers: Self.async).status == .accepted)
        }
    }

    @Test func aKeysOwnLimitOverridesTheServerDefaultAndZeroTurnsItOff() async throws {
        let instance = try await TestInstance.make(settings: ["requests-per-minute": "1"])
        defer { instance.cleanUp() }
        let unlimited = try await instance.withDatabase { db in
            try await APIKeyStore(database: db).create(accountID: instance.accountID, requestsPerMinute: 0).secret
        }
        try await instance.run { client in
            #expect(try await client.generate(quickstartBody, key: instance.apiKey, headers: Self.async).status == .accepted)
            #expect(try await client.generate(quickstartBody, key: instance.apiKey, headers: Self.async).status == .tooManyRequests)
            for _ in 0..<3 {
                let answer = try await client.generate(quickstartBody, key: unlimited, headers: Self.async)
                #expect(answer.status == .accepted)
                #expect(answer.headers[Self.limit] == nil)
            }
        }
    }

    @Test func concurrentRequestsNeverPassTheLimit() async throws {
        // A stopped clock: the bucket must not refill while the 40 requests run, however slowly a loaded machine
        // runs them (at 10 images a minute, six seconds would add one). In-process, so the 40 really run at once:
        // the live test client sends everything down one connection, one request after another, and gives the
        // last of them 20 s from the first (a loaded CI machine once took longer).
        let instance = try await TestInstance.make { $0.clock = ManualClock() }
        defer { instance.cleanUp() }
        let key = try await instance.withDatabase { db in
            try await APIKeyStore(database: db).create(accountID: instance.accountID, requestsPerMinute: 600, imagesPerMinute: 10).secret
        }
        try await instance.run { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<40 {
                    group.addTask { try await client.generate(quickstartBody, key: key, headers: Self.async).status }
                }
                var all: [HTTPResponse.Status] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == .accepted }.count == 10)
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 30)
        }
        let holds = try await instance.withDatabase { db in
            try await db.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM generations WHERE api_key_id IS NOT NULL AND account_id = \(bind: instance.accountID)")
                    .first()?.decode(column: "n", as: Int.self) ?? 0
            }
        }
        #expect(holds == 10)
    }
}
