import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import NIOCore
import Testing

/// The operator's API under /admin/v1.
@Suite struct AdminAPITests {
    static let token = "admin-secret-token-0123456789abcdef"

    func admin(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ json: String? = nil, headers: HTTPFields = [:])
        async throws
        -> TestResponse
    {
        var fields = headers
        fields[.authorization] = "Bearer \(Self.token)"
        return try await client.execute(uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
    }

    @Test func severalAdminTokensWorkAtOnceForARotation() async throws {
        let next = "next-admin-token-0123456789abcdefgh"
        let instance = try await TestInstance.make(settings: [
            "admin-token": Self.token, "admin-tokens": "\(next), \(String(repeating: "z", count: 40))",
        ])
        defer { instance.cleanUp() }
        try await instance.run { client in
            for token in [Self.token, next] {
                let status = try await client.get("/admin/v1/accounts", key: token).status
                #expect(status == .ok, "every listed token is accepted")
            }
            let wrong = try await client.get("/admin/v1/accounts", key: next + "x").status
            #expect(wrong == .unauthorized)
        }
    }

    @Test func theOperatorRunsAccountsKeysCreditAndReports() async throws {
        let instance = try await TestInstance.make(settings: ["admin-token": Self.token])
        defer { instance.cleanUp() }
        try await instance.run { client in
            #expect(try await client.get("/admin/v1/accounts").status == .unauthorized)
            #expect(try await client.get("/admin/v1/accounts", key: "wrong").status == .unauthorized)

            let created = try await self.admin(client, .post, "/admin/v1/accounts", #"{"name":"acme","credit_usd":"1.5"}"#)
            #expect(created.status == .created, "\(created.text)")
            #expect(created.text.contains("\"balance_usd\":1.5"))
            #expect(try await self.admin(client, .post, "/admin/v1/accounts", #"{"name":"acme"}"#).status == .conflict)

            let key = try await self.admin(client, .post, "/admin/v1/accounts/acme/keys", #"{"label":"ci","max_concurrency":2}"#)
            #expect(key.status == .created)
            let secret = try #require(try key.json()["key"] as? String)

            let idem: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "topup-1"]
            #expect(try await self.admin(client, .post, "/admin/v1/accounts/acme/credits", #"{"usd":"2"}"#, headers: idem).status == .ok)
            let replay = try await self.admin(client, .post, "/admin/v1/accounts/acme/credits", #"{"usd":"2"}"#, headers: idem)
            #expect(replay.text.contains("\"balance_usd\":3.5"), "credited once: \(replay.text)")

            #expect(try await client.generate(try body(set: ["num_images": 2]), key: secret).status == .ok)

            let usage = try await self.admin(client, .get, "/admin/v1/usage?account=acme").json()
            let row = try #require((usage["data"] as? [[String: Any]])?.first)
            #expect(row["images"] as? Int == 2)
            #expect(row["spend_usd"] as? Double == 0.028)
            let margin = try await self.admin(client, .get, "/admin/v1/margin")
            #expect(margin.text.contains("\"revenue_usd\":0.028"))
            let audit = try await self.admin(client, .get, "/admin/v1/audit").json()
            #expect(audit["clean"] as? Bool == true)

            // Rate limits, changed on a live key: the next request obeys them; null gives the server's default back.
            let prefix11 = String(secret.prefix(11))
            let limited = try await self.admin(client, .patch, "/admin/v1/keys/\(prefix11)", #"{"images_per_minute":2}"#)
            #expect(limited.status == .ok, "\(limited.text)")
            #expect(try limited.json()["images_per_minute"] as? Int == 2)
            #expect(try limited.json()["requests_per_minute"] is NSNull, "a field left out stays as it was")
            let async: HTTPFields = [HTTPField.Name("Prefer")!: "respond-async"]
            #expect(try await client.generate(try body(set: ["num_images": 2]), key: secret, headers: async).status == .accepted)
            #expect(try await client.generate(quickstartBody, key: secret, headers: async).status == .tooManyRequests)
            let back = try await self.admin(client, .patch, "/admin/v1/keys/\(prefix11)", #"{"images_per_minute":null}"#)
            #expect(try back.json()["images_per_minute"] is NSNull)
            #expect(try await client.generate(quickstartBody, key: secret, headers: async).status == .accepted)
            let bad = try await self.admin(client, .patch, "/admin/v1/keys/\(prefix11)", #"{"requests_per_minute":-1}"#)
            #expect(bad.status == .badRequest)
            #expect(try bad.json()["param"] as? String == "requests_per_minute")
            #expect(try await self.admin(client, .patch, "/admin/v1/keys/ig_nonexistent", "{}").status == .notFound)
            // Fewer than 6 characters could name many keys: refused.
            #expect(try await self.admin(client, .patch, "/admin/v1/keys/ig_", "{}").status == .badRequest)

            let keys = try await self.admin(client, .get, "/admin/v1/keys?account=acme")
            #expect(!keys.text.contains(secret), "listings never show the secret")
            let prefix = String(secret.prefix(11))
            #expect(try await self.admin(client, .delete, "/admin/v1/keys/\(prefix)").status == .ok)
            #expect(try await client.generate(quickstartBody, key: secret).status == .unauthorized)
        }
    }

    @Test func withoutATokenTheAdminAPIDoesNotExist() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let status = try await client.get("/admin/v1/accounts", key: "anything").status
            #expect(status == .notFound)
        }
    }
}
