import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import ImageGateApp
import ImageGateTestSupport
import NIOCore
import NIOPosix
import Storage
import Testing

/// ImageGate's own OpenAI routes as an upstream (issue 24, OpenAI-compatible provider): a second ImageGate routes
/// Seedream 5 Lite to the first one's `/v1/images/generations` and `/v1/images/edits`, and each one's books agree
/// with the other's: what the first charged the second's key is the upstream cost the second recorded.
@Suite struct ChainedImageGateTests {
    @Test(arguments: ["url", "b64_json"])
    func aSecondImageGateRunsOnTheFirstsOpenAIRoutesAndTheBooksAgree(responseFormat: String) async throws {
        // The upstream's output links must point where it really listens: a port chosen before it starts.
        let port = try await Self.freePort()
        let upstream = try await TestInstance.make(settings: ["port": "\(port)", "public-url": "http://127.0.0.1:\(port)"])
        defer { upstream.cleanUp() }
        // Served on that port by the real application, as `imagegate serve` would (HummingbirdTesting's live
        // server picks a port of its own, which the links could not name).
        let app = try await buildApplication(upstream.config, logger: TestInstance.logger)
        let served = Task { try await app.runService() }
        defer { served.cancel() }
        try await Self.waitForHealth(port: port)
        do {
            let route = """
                {"provider": "openai", "model": "seedream-5-lite", "base_url": "http://127.0.0.1:\(port)/v1",
                 "api_key_env": "UPSTREAM_IMAGEGATE_KEY", "cost_per_image_micros": 14000, "response_format": "\(responseFormat)",
                 "abilities": {"honours_seed": true, "output_formats": ["png", "jpeg"]}}
                """
            let catalog = try RoutePlanTests.catalog(routes: [route])
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("chained-\(UUID().uuidString).json").path
            try JSONEncoder().encode(["models": catalog.models]).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            let downstream = try await TestInstance.make(settings: ["catalog": path, "allow-private-image-urls": "true"]) { config in
                config.environment = ["UPSTREAM_IMAGEGATE_KEY": upstream.apiKey]
            }
            defer { downstream.cleanUp() }
            let reference = try EditAndDeterminismTests.dataURI(width: 96, height: 64)
            try await downstream.run { client in
                let made = try await client.generate(
                    try body(set: ["num_images": 2, "aspect_ratio": "1:1", "seed": 42]),
                    key: downstream.apiKey
                )
                #expect(made.status == .ok, "\(made.text)")
                let json = try made.json()
                #expect(json["provider"] as? String == "openai" && (json["images"] as? [Any])?.count == 2, "\(json)")
                #expect(json["seed"] as? Int == 42)
                let edited = try await client.generate(
                    try body(set: ["mode": "edit", "image_urls": [reference], "aspect_ratio": "3:2"]),
                    key: downstream.apiKey
                )
                #expect(edited.status == .ok, "\(edited.text)")
                let image = try #require((try edited.json()["images"] as? [[String: Any]])?.first)
                #expect(image["width"] as? Int == 2496 && image["height"] as? Int == 1664)
            }
            // The first charged the second's key for 3 images; the second charged its user and recorded that cost.
            let upstreamBalance = try await upstream.balance()
            #expect(upstreamBalance.available == 10_000_000 - 3 * 14_000 && upstreamBalance.held == 0)
            let downstreamBalance = try await downstream.balance()
            #expect(downstreamBalance.available == 10_000_000 - 3 * 14_000 && downstreamBalance.held == 0)
            let recordedCost: Int64 =
                try await downstream.withDatabase { db in
                    try await db.read { sql in
                        try await sql.raw("SELECT CAST(SUM(upstream_cost_micros) AS BIGINT) AS total FROM generations").first()?.decode(
                            column: "total",
                            as: Int64.self
                        )
                    }
                } ?? -1
            #expect(recordedCost == Int64(3 * 14_000), "the second's upstream cost is what the first charged")
        }
    }

    static func waitForHealth(port: Int) async throws {
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/health"), timeout: .seconds(2)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}
