import AsyncHTTPClient
import Catalog
import Foundation
import Logging
import Providers
import Testing

/// A route's queue timeout (`queue_timeout_s`) on fal: a request still `IN_QUEUE` past it is cancelled there, and
/// only when fal confirms that it never ran does the attempt end as `notStarted` (so the generation may take the next
/// route with nothing billed); a request that started first runs to its end and is delivered.
@Suite struct FalQueueTimeoutTests {
    /// A fal provider on the emulator's Seedream 5 Lite endpoints.
    static func provider(_ emulator: EmulatorHarness, queueTimeout: Duration? = nil) -> FalProvider {
        var configuration = FalConfiguration(
            key: "test",
            queueURL: emulator.queueURL,
            generateEndpoint: "fal-ai/bytedance/seedream/v5/lite/text-to-image",
            editEndpoint: "fal-ai/bytedance/seedream/v5/lite/edit"
        )
        configuration.queueTimeout = queueTimeout
        return FalProvider(configuration: configuration, httpClient: .shared, submitClient: .shared, logger: Logger(label: "fal"))
    }

    /// One 2K square Seedream 5 Lite image, started now.
    static func request(id: String = "gen_queue_timeout", prompt: String = "a harbour at dawn") throws -> ProviderRequest {
        ProviderRequest(
            generationID: id,
            model: try #require(try ModelCatalog.bundled().model("seedream-5-lite")),
            mode: .generate,
            prompt: prompt,
            aspectRatio: "1:1",
            resolvedAspectRatio: "1:1",
            sizeTier: "2K",
            pixelSize: PixelSize(width: 2048, height: 2048),
            numImages: 1,
            seed: 7,
            outputFormat: .png,
            references: [],
            startedAtMillis: Int64(Date().timeIntervalSince1970 * 1000)
        )
    }

    @Test func aRequestStillQueuedPastTheTimeoutIsCancelledThereAndStartedNothing() async throws {
        try await EmulatorHarness.with({ $0.queueLatencyMillis = 30_000 }) { emulator in
            let provider = Self.provider(emulator, queueTimeout: .milliseconds(300))
            let thrown = await #expect(throws: ProviderError.self) {
                _ = try await provider.generate(try Self.request(), context: ProviderContext(resume: nil) { _ in })
            }
            let error = try #require(thrown)
            #expect(error.code == .notStarted && error.upstreamType == "queue_timeout", "\(error)")
            #expect(error.billedImages == 0 && error.failsOver)
            let stats = try await emulator.stats()
            #expect(stats["accepted"] == 1 && stats["cancelled"] == 1, "\(stats)")
        }
    }

    @Test func aRequestThatStartsInTimeIsDelivered() async throws {
        try await EmulatorHarness.with({ $0.runLatencyMillis = 1_000 }) { emulator in
            let provider = Self.provider(emulator, queueTimeout: .milliseconds(300))
            let outcome = try await provider.generate(try Self.request(), context: ProviderContext(resume: nil) { _ in })
            #expect(outcome.images.count == 1)
            let stats = try await emulator.stats()
            #expect(stats["cancelled"] == 0, "running past the queue timeout is not waiting in the queue: \(stats)")
        }
    }
}
