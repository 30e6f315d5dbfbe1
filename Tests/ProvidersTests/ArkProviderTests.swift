import ArkEmulator
import AsyncHTTPClient
import Catalog
import Foundation
import Logging
import NIOPosix
import Outbound
import Testing

@testable import Imaging
@testable import Providers

/// The Ark provider against the Ark emulator over loopback: what it sends, what it delivers, and how each of Ark's
/// answers (docs: upstreams.md §7.1) becomes a typed error, never a second call where the first may have run.
@Suite struct ArkProviderTests {
    static func request(numImages: Int = 1, mode: GenerationMode = .generate, references: [ReferenceImage] = [], prompt: String = "a mug")
        throws -> ProviderRequest
    {
        ProviderRequest(
            generationID: "gen_1",
            model: try #require(try ModelCatalog.bundled().model("seedream-5-lite")),
            mode: mode,
            prompt: prompt,
            aspectRatio: "16:9",
            resolvedAspectRatio: "16:9",
            sizeTier: "2K",
            pixelSize: PixelSize(width: 2848, height: 1600),
            numImages: numImages,
            seed: 7,
            outputFormat: .png,
            references: references,
            // Now: an asynchronous supplier's deadline counts from here.
            startedAtMillis: Int64(Date().timeIntervalSince1970 * 1000)
        )
    }

    static func provider(_ harness: ArkHarness, key: String = "ark-key", client: HTTPClient) -> ArkProvider {
        var configuration = ArkConfiguration(key: key, baseURL: harness.baseURL, model: "seedream-5-0-260128")
        configuration.outputFormats = ["png", "jpeg"]
        configuration.maxBackoff = .seconds(1)
        return ArkProvider(configuration: configuration, client: client, logger: Logger(label: "ark"))
    }

    static func run<T: Sendable>(
        _ configure: (inout ArkEmulatorConfiguration) -> Void = { _ in },
        _ body: @Sendable (ArkHarness, HTTPClient) async throws -> T
    ) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .submits())
        do {
            let result = try await ArkHarness.with({ configure(&$0) }) { harness in try await body(harness, client) }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    @Test func theBodyHasThePixelSizeNoWatermarkURLsAndLowercaseDataURIs() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let reference = ReferenceImage(source: "https://example.com/x.png", bytes: png, probe: ImageProbe(format: .png, width: 64, height: 64))
        var configuration = ArkConfiguration(key: "k", baseURL: "http://x", model: "seedream-5-0-260128")
        configuration.outputFormats = ["png", "jpeg"]
        let body = try #require(
            try JSONSerialization.jsonObject(
                with: Data(ArkProvider.body(for: try Self.request(numImages: 3, mode: .edit, references: [reference]), configuration: configuration))
            )
                as? [String: Any]
        )
        #expect(body["model"] as? String == "seedream-5-0-260128")
        #expect(body["size"] as? String == "2848x1600")
        #expect(body["watermark"] as? Bool == false)
        #expect(body["response_format"] as? String == "url")
        #expect(body["output_format"] as? String == "png")
        #expect(body["image"] as? [String] == ["data:image/png;base64,\(Data(png).base64EncodedString())"])
        #expect(body["sequential_image_generation"] as? String == "auto")
        #expect((body["sequential_image_generation_options"] as? [String: Any])?["max_images"] as? Int == 3)
        #expect(body["seed"] == nil, "Seedream 5 Lite on Ark is not known to honour a seed")
        configuration.minPixels = 5_000_000
        let small = try #require(
            try JSONSerialization.jsonObject(with: Data(ArkProvider.body(for: try Self.request(), configuration: configuration))) as? [String: Any]
        )
        #expect(small["size"] as? String == "2K", "a size under Ark's minimum goes as its tier")
        #expect(small["sequential_image_generation"] as? String == "disabled")
    }

    @Test func aCallDeliversItsImagesAsURLsToMirror() async throws {
        try await Self.run { harness, client in
            let outcome = try await Self.provider(harness, client: client).generate(
                try Self.request(numImages: 3),
                context: ProviderContext(resume: nil) { _ in }
            )
            #expect(outcome.images.count == 3)
            guard case .remote(let url, let type, let width, let height) = outcome.images[0] else { Issue.record("not a URL"); return }
            #expect(url.hasPrefix("http://127.0.0.1:\(harness.configuration.port)/files/") && type == "image/png")
            #expect(width == 2848 && height == 1600)
            let stats = try await harness.stats()
            #expect(stats["accepted"] == 1 && stats["imagesBilled"] == 3)
        }
    }

    @Test func aSequentialCallThatDeliversFewerImagesReturnsWhatCame() async throws {
        try await Self.run({ $0.imageFailureRate = 0.5 }) { harness, client in
            let outcome = try await Self.provider(harness, client: client).generate(
                try Self.request(numImages: 6),
                context: ProviderContext(resume: nil) { _ in }
            )
            let stats = try await harness.stats()
            #expect(stats["imageFailures"]! > 0 && outcome.images.count == 6 - stats["imageFailures"]!)
            #expect(stats["imagesBilled"] == outcome.images.count, "the upstream bills what it delivered, which is what is charged")
        }
    }

    @Test func a429BurstIsWaitedOutAndTheCallRunsOnce() async throws {
        try await Self.run({
            $0.rateLimitFirst = 2
            $0.retryAfterSeconds = 0
        }) { harness, client in
            let outcome = try await Self.provider(harness, client: client).generate(
                try Self.request(),
                context: ProviderContext(resume: nil) { _ in }
            )
            #expect(outcome.images.count == 1)
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == 3 && stats["rateLimited"] == 2 && stats["accepted"] == 1)
        }
    }

    @Test func rateLimitedOnEveryTryIsNotStartedAndBillsNothing() async throws {
        try await Self.run({
            $0.rateLimitFirst = 100
            $0.retryAfterSeconds = 0
        }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(try Self.request(), context: ProviderContext(resume: nil) { _ in })
            }
            #expect(error?.code == .notStarted && error?.billedImages == 0 && error?.upstreamType == "RequestBurstTooFast")
            let stats = try await harness.stats()
            #expect(stats["accepted"] == 0)
        }
    }

    @Test func anAnswerLostAfterTheWorkIsAnUnknownOutcomeNeverSentAgain() async throws {
        try await Self.run({ $0.lostAnswerRate = 1 }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(
                    try Self.request(numImages: 2),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code == .outcomeUnknown && error?.billedImages == 2, "the possible bill is recorded")
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == 1 && stats["answersLost"] == 1 && stats["imagesBilled"] == 2)
        }
    }

    /// §7.1's table: each whole-call failure, as the emulator answers it, becomes its class of error.
    @Test(arguments: [
        ("content_policy", "contentPolicyViolation", "InputTextSensitiveContentDetected"),
        ("invalid_parameter", "upstreamFailed", "InvalidParameter"),
        ("authentication", "routeUnusable", "AuthenticationError"),
        ("model_not_found", "routeUnusable", "InvalidEndpointOrModel.NotFound"),
        ("internal_error", "outcomeUnknown", "InternalServiceError"),
        ("overloaded", "notStarted", "ServerOverloaded"),
    ])
    func eachArkErrorIsTyped(failType: String, code: String, upstreamType: String) async throws {
        try await Self.run({
            $0.failRate = 1
            $0.failType = ArkFailureType(rawValue: failType)!
            $0.retryAfterSeconds = 0
        }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(try Self.request(), context: ProviderContext(resume: nil) { _ in })
            }
            #expect(error?.code.description == code && error?.upstreamType == upstreamType, "\(String(describing: error))")
            #expect(error?.upstreamDetail?.contains("Request id") == true, "Ark's own words are kept for the operator")
            #expect(error?.billedImages == (code == "outcomeUnknown" ? 1 : 0))
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == (code == "notStarted" ? 4 : 1), "only a refusal to start is sent again")
        }
    }

    @Test func aWrongKeyIsARouteThatCannotWork() async throws {
        try await Self.run({ $0.requiredKey = "right" }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, key: "wrong", client: client).generate(
                    try Self.request(),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code == .routeUnusable && error?.upstreamType == "AuthenticationError")
        }
    }

    @Test func nothingLeavesWhenTheOwnerCancelledFirst() async throws {
        try await Self.run { harness, client in
            let context = ProviderContext(resume: nil, cancelRequested: { true }) { _ in }
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(try Self.request(), context: context)
            }
            #expect(error?.code == .cancelled)
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == 0)
        }
    }

    @Test func anUnreachableArkIsNotStartedAfterItsTries() async throws {
        // AsyncHTTPClient retries a refused connection until its connect time-out: keep that short here.
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .submits(connectTimeout: .milliseconds(300)))
        // A port that was just free: connecting is refused at once (never written, so safe to try again).
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = probe.localAddress?.port ?? 1
        try await probe.close()
        var configuration = ArkConfiguration(key: "k", baseURL: "http://127.0.0.1:\(port)/api/v3", model: "m")
        configuration.maxBackoff = .milliseconds(10)
        let provider = ArkProvider(configuration: configuration, client: client, logger: Logger(label: "ark"))
        let error = await #expect(throws: ProviderError.self) {
            try await provider.generate(try Self.request(), context: ProviderContext(resume: nil) { _ in })
        }
        #expect(error?.code == .notStarted && error?.upstreamType == "connection")
        try await client.shutdown()
    }
}
