import Foundation
import GatewayAPI
import Hummingbird
import HummingbirdTesting
import ImageGateApp
import ImageGateTestSupport
import Logging
import Testing

/// /metrics, /health, /ready and JSON logs.
@Suite struct ObservabilityTests {
    @Test func metricsCoverRequestsGenerationsAndMoney() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let generated = try await client.generate(quickstartBody, key: instance.apiKey)
            #expect(generated.status == .ok)
            _ = try await client.get(try pathAndQuery(try #require(try generated.json()["output_url"] as? String)))
            // Not on the public listener: the metrics show money totals.
            #expect(try await client.get("/metrics").status == .notFound)
        }
        // On the metrics listener's router.
        let metricsApp = Application(router: buildMetricsRouter(metricsText: Observability.metricsText))
        try await metricsApp.test(.router) { client in
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.status == .ok)
            #expect(metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
            let text = String(buffer: metrics.body)
            for name in [
                "hb_requests", "imagegate_generation_duration_seconds_bucket", "imagegate_money_micros_total{kind=\"hold\"}",
                "imagegate_money_micros_total{kind=\"charge\"}", "imagegate_images_stored_total", "imagegate_output_bytes_served_total",
                "imagegate_generations_in_flight", "imagegate_queue_depth",
            ] {
                #expect(text.contains(name), "missing \(name)")
            }
            #expect(text.contains("outcome=\"completed\""))
        }
    }

    @Test func healthAndReadiness() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            #expect(try await client.get("/health").status == .ok)
            let ready = try await client.get("/ready")
            #expect(ready.status == .ok)
            #expect(try ready.json()["status"] as? String == "ready")
        }
    }

    /// Collects what a log handler writes.
    final class Capture: TextOutputStream, @unchecked Sendable {
        var text = ""
        func write(_ string: String) { self.text += string }
    }

    @Test func jsonLogsAreOneObjectPerLineWithRequestIDsAndNoSecrets() throws {
        let capture = Capture()
        var handler = JSONLogHandler(label: "test", stream: capture)
        handler.logLevel = .info
        var logger = Logger(label: "test") { _ in handler }
        logger[metadataKey: "hb.request.id"] = "req-123"
        logger.info("generation queued", metadata: ["generation": "gen_1", "authorization": "Bearer ig_secret"])
        logger.debug("not shown")
        let lines = capture.text.split(separator: "\n")
        #expect(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["message"] as? String == "generation queued")
        #expect(object["hb.request.id"] as? String == "req-123")
        #expect(object["level"] as? String == "info")
        #expect(object["authorization"] as? String == "***")
        #expect(!capture.text.contains("ig_secret"))
    }
}
