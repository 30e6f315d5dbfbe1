import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Imaging
import Testing

/// The product page's quickstart, end to end: request → image → bill → download.
@Suite struct QuickstartTests {
    @Test func quickstartReturnsACompletedPNGAtTheTableSize() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(quickstartBody, key: instance.apiKey)
            #expect(response.status == .ok, "\(response.text)")
            let json = try response.json()
            #expect(json["status"] as? String == "completed")
            #expect(json["model"] as? String == "seedream-5-lite")
            #expect(json["mode"] as? String == "generate")
            #expect(json["provider"] as? String == "local")
            #expect((json["generation_id"] as? String)?.hasPrefix("gen_") == true)
            #expect(json["seed"] as? Int == 0)
            #expect(json["duration_ms"] as? Int != nil)
            #expect(json["created_at"] as? String != nil)
            #expect(json["expires_at"] as? String != nil)
            #expect(response.text.contains("\"estimated_cost_usd\":0.014"))
            #expect(response.text.contains("\"cost_usd\":0.014"))
            #expect(response.text.contains("\"refunded_usd\":0"))

            let outputURL = try #require(json["output_url"] as? String)
            #expect(outputURL.hasPrefix("http://imagegate.test/v1/outputs/out_"))
            #expect((json["output_urls"] as? [String]) == [outputURL])
            let images = try #require(json["images"] as? [[String: Any]])
            #expect(images.count == 1)
            #expect(images.first?["width"] as? Int == 2848)
            #expect(images.first?["height"] as? Int == 1600)
            #expect(images.first?["content_type"] as? String == "image/png")

            let download = try await client.get(try pathAndQuery(outputURL))
            #expect(download.status == .ok)
            #expect(download.headers[.contentType] == "image/png")
            #expect(download.headers[.contentLength] == String(download.body.readableBytes))
            #expect(download.headers[.eTag]?.hasPrefix("\"") == true)
            #expect(download.headers[.cacheControl]?.contains("max-age=") == true)
            let probe = try ImageProbe.inspect(Array(download.body.readableBytesView), decodePixels: true)
            #expect(probe.format == .png)
            #expect(probe.width == 2848 && probe.height == 1600)

            // A conditional GET with the ETag is answered without the body.
            let etag = try #require(download.headers[.eTag])
            let cached = try await client.execute(uri: try pathAndQuery(outputURL), method: .get, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified)
        }
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 - 14_000)
        #expect(balance.held == 0)
    }

    @Test func healthAnswersWhenTheDatabaseIsReachable() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.get("/health")
            #expect(response.status == .ok)
            #expect(try response.json()["status"] as? String == "ok")
        }
    }

    @Test func theServerAnswersOverRealLoopbackHTTP() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run(.live) { client in
            let response = try await client.generate(quickstartBody, key: instance.apiKey)
            #expect(response.status == .ok)
            let url = try #require(try response.json()["output_url"] as? String)
            let download = try await client.get(try pathAndQuery(url))
            #expect(download.status == .ok)
            #expect(download.body.readableBytes > 1000)
        }
    }
}
