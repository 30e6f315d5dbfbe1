import Billing
import Blobs
import Essentials
import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Storage
import StorageTestSupport
import Testing

/// Async calls, sync time-outs, listing, ownership and expiry.
@Suite struct LifecycleTests {
    @Test func respondAsyncAnswers202AndTheGenerationCompletesLater() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(quickstartBody, key: instance.apiKey, headers: [HTTPField.Name("Prefer")!: "respond-async"])
            #expect(response.status == .accepted)
            let json = try response.json()
            let id = try #require(json["generation_id"] as? String)
            #expect(["queued", "processing"].contains(json["status"] as? String))
            #expect(response.headers[.location] == "/v1/generations/\(id)")
            #expect(json["output_url"] is NSNull)
            let final = try await Self.poll(client, id: id, key: instance.apiKey)
            #expect(final["status"] as? String == "completed")
            #expect(final["output_url"] as? String != nil)
        }
    }

    @Test func aSyncCallPastItsTimeoutAnswers202() async throws {
        let instance = try await TestInstance.make(settings: ["sync-timeout": "0"])
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(try body(set: ["num_images": 2]), key: instance.apiKey)
            #expect(response.status == .accepted)
            let id = try #require(try response.json()["generation_id"] as? String)
            let final = try await Self.poll(client, id: id, key: instance.apiKey)
            #expect(final["status"] as? String == "completed")
        }
    }

    @Test func anotherAccountsKeyGets404() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        let otherKey = try await instance.withDatabase { db in
            let account = try await Billing.AccountStore(database: db).create(name: "other", credit: .init(micros: 1_000_000))
            return try await Billing.APIKeyStore(database: db).create(accountID: account.id).secret
        }
        try await instance.run { client in
            let id = try #require(try await client.generate(quickstartBody, key: instance.apiKey).json()["generation_id"] as? String)
            #expect(try await client.get("/v1/generations/\(id)", key: instance.apiKey).status == .ok)
            let foreign = try await client.get("/v1/generations/\(id)", key: otherKey)
            #expect(foreign.status == .notFound)
            #expect(try foreign.json()["code"] as? String == "not_found")
            let list = try await client.get("/v1/generations", key: otherKey)
            #expect((try list.json()["data"] as? [Any])?.isEmpty == true)
            // Ids and cursors holding U+0000 (which PostgreSQL's text cannot hold) are unknown or refused, never a 500.
            #expect(try await client.get("/v1/generations/gen%00x", key: instance.apiKey).status == .notFound)
            #expect(try await client.get("/v1/generations/gen%00x/events", key: instance.apiKey).status == .notFound)
            #expect(try await client.get("/v1/outputs/out%00x.png?expires=1&sig=00", key: nil).status == .notFound)
            let cursor = try await client.get("/v1/generations?after=gen%00x", key: instance.apiKey)
            #expect(cursor.status == .badRequest)
            #expect(try cursor.json()["param"] as? String == "after")
        }
    }

    @Test func listingIsNewestFirstWithCursorPagination() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            var ids: [String] = []
            for index in 0..<3 {
                let response = try await client.generate(try body(set: ["prompt": "page \(index)"]), key: instance.apiKey)
                ids.append(try #require(try response.json()["generation_id"] as? String))
            }
            let first = try await client.get("/v1/generations?limit=2", key: instance.apiKey).json()
            let firstIDs = (first["data"] as? [[String: Any]])?.compactMap { $0["generation_id"] as? String }
            #expect(firstIDs == [ids[2], ids[1]])
            #expect(first["has_more"] as? Bool == true)
            let cursor = try #require(first["next_cursor"] as? String)
            let second = try await client.get("/v1/generations?limit=2&after=\(cursor)", key: instance.apiKey).json()
            #expect((second["data"] as? [[String: Any]])?.compactMap { $0["generation_id"] as? String } == [ids[0]])
            #expect(second["has_more"] as? Bool == false)
            #expect(try await client.get("/v1/generations?limit=0", key: instance.apiKey).status == .badRequest)
        }
    }

    @Test func missingWrongAndRevokedKeysAre401() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let none = try await client.execute(uri: "/v1/generate", method: .post, body: .init(string: quickstartBody))
            #expect(none.status == .unauthorized)
            #expect(try none.json()["code"] as? String == "unauthorized")
            #expect(try await client.generate(quickstartBody, key: "ig_not_a_real_key").status == .unauthorized)
            #expect(try await client.generate(quickstartBody, key: String(instance.apiKey.dropLast())).status == .unauthorized)
        }
        _ = try await instance.withDatabase { db in try await Billing.APIKeyStore(database: db).revoke(prefix: String(instance.apiKey.prefix(11))) }
        try await instance.run { client in
            let status = try await client.generate(quickstartBody, key: instance.apiKey).status
            #expect(status == .unauthorized)
        }
    }

    /// An instance whose outputs live 20 s on a clock the test moves, with the janitor passing every second.
    static func shortRetention() async throws -> (TestInstance, ManualClock) {
        let clock = ManualClock()
        let instance = try await TestInstance.make(settings: ["output-retention": "20s"]) {
            $0.janitorIntervalSeconds = 1
            $0.clock = clock
        }
        return (instance, clock)
    }

    @Test func outputsExpireWith410AndTheJanitorDeletesTheFile() async throws {
        let (instance, clock) = try await Self.shortRetention()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let json = try await client.generate(quickstartBody, key: instance.apiKey).json()
            let id = try #require(json["generation_id"] as? String)
            let url = try pathAndQuery(try #require(json["output_url"] as? String))
            #expect(try await client.get(url).status == .ok)
            let expiresAt = try #require(
                (json["expires_at"] as? String).flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) }
            )
            // Just before the end of retention the link still works; just after, it is gone.
            clock.advance(byMillis: Int64(expiresAt.timeIntervalSince1970 * 1000) - clock.nowMillis() - 1)
            #expect(try await client.get(url).status == .ok)
            clock.advance(byMillis: 2)
            let expired = try await client.get(url)
            #expect(expired.status == .gone)
            #expect(try expired.json()["code"] as? String == "output_expired")
            // The record stays.
            let record = try await client.get("/v1/generations/\(id)", key: instance.apiKey)
            #expect(try record.json()["status"] as? String == "completed")
            // The janitor's next pass (every second) deletes the file: looked for until it is gone, for at most 30 s.
            for _ in 0..<300 where try !Self.outputFiles(instance).isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        let blobs = try Self.outputFiles(instance)
        #expect(blobs.isEmpty, "expired files are deleted: \(blobs)")
    }

    /// The output files on the instance's disk.
    static func outputFiles(_ instance: TestInstance) throws -> [String] {
        try FileManager.default.subpathsOfDirectory(atPath: "\(instance.directory)/blobs/outputs").filter { !$0.hasSuffix("/") && $0.contains("/") }
    }

    @Test func aLinkSignedWithAnEarlierExpiryIsGoneWhateverTheOutputSays() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let url = try pathAndQuery(try #require(try await client.generate(quickstartBody, key: instance.apiKey).json()["output_url"] as? String))
            let outputID = String(try #require(url.split(separator: "/").last?.split(separator: ".").first))
            // The server's own secret signs a link that expired a second ago, for an output kept 7 days.
            let secret = try await instance.withDatabase { database in
                try await Settings.value(named: "output_link_secret", in: database) { "" }
            }
            let signer = OutputLinkSigner(secretHex: secret)
            let expired = Int64(Date().timeIntervalSince1970) - 1
            let relinked = "/v1/outputs/\(outputID).png?expires=\(expired)&sig=\(signer.signature(outputID: outputID, expires: expired))"
            let response = try await client.get(relinked)
            #expect(response.status == .gone)
            #expect(try response.json()["code"] as? String == "output_expired")
            #expect(try await client.get(url).status == .ok, "the link the server issued still works")
        }
    }

    @Test func tamperedOrUnknownOutputLinksAre404() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let url = try pathAndQuery(try #require(try await client.generate(quickstartBody, key: instance.apiKey).json()["output_url"] as? String))
            let longer = url.replacingOccurrences(of: "expires=", with: "expires=9")
            #expect(try await client.get(longer).status == .notFound)
            #expect(try await client.get(url.replacingOccurrences(of: "sig=", with: "sig=0")).status == .notFound)
            #expect(try await client.get("/v1/outputs/out_0000.png").status == .notFound)
        }
    }

    static func poll(_ client: any TestClientProtocol, id: String, key: String) async throws -> [String: Any] {
        for _ in 0..<200 {
            let json = try await client.get("/v1/generations/\(id)", key: key).json()
            if ["completed", "failed"].contains(json["status"] as? String) { return json }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("generation \(id) did not finish")
        return [:]
    }
}
