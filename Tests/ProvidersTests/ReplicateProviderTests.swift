import ArkEmulator
import AsyncHTTPClient
import Catalog
import Foundation
import Logging
import NIOPosix
import Outbound
import Synchronization
import Testing

@testable import Imaging
@testable import Providers

/// The Replicate provider against `imagegate replicate-emulator` over loopback: what it sends, how it follows a
/// prediction (after a restart too, through the saved id), how a cancel reaches Replicate, and how each of
/// Replicate's answers becomes a typed error, never a second create where the first may have run.
@Suite struct ReplicateProviderTests {
    static let model = "bytedance/seedream-5-lite"

    static func provider(_ harness: ArkHarness, key: String = "r8_key", client: HTTPClient, deadline: Duration = .seconds(60)) -> ReplicateProvider {
        var configuration = ReplicateConfiguration(key: key, baseURL: harness.root, model: Self.model)
        configuration.outputFormats = ["png", "jpeg"]
        configuration.pollInterval = .milliseconds(10)
        configuration.maxPollInterval = .milliseconds(100)
        configuration.maxBackoff = .seconds(1)
        configuration.deadline = deadline
        return ReplicateProvider(configuration: configuration, httpClient: client, submitClient: client, logger: Logger(label: "replicate"))
    }

    static func run<T: Sendable>(
        _ configure: (inout ArkEmulatorConfiguration) -> Void = { _ in },
        _ body: @Sendable (ArkHarness, HTTPClient) async throws -> T
    ) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .submits())
        do {
            let result = try await ArkHarness.with({ configure(&$0) }, application: ArkEmulator.replicateApplication) { harness in
                try await body(harness, client)
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// A context that keeps the handle saved, as the engine would.
    final class Saved: Sendable {
        let handle = Mutex<UpstreamHandle?>(nil)
        let submits = Mutex(0)
        /// Whatever a test notes down from the context (failed attempts).
        let notes = Mutex<[String]>([])

        func context(cancelRequested: @escaping @Sendable () async -> Bool = { false }) -> ProviderContext {
            ProviderContext(
                resume: self.handle.withLock { $0 },
                willSubmit: { self.submits.withLock { $0 += 1 } },
                cancelRequested: cancelRequested
            ) { handle in self.handle.withLock { $0 = handle } }
        }
    }

    @Test func theInputHasTheTierRatioSequentialCountFormatAndLowercaseDataURIs() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]
        let reference = ReferenceImage(source: "https://example.com/x.png", bytes: png, probe: ImageProbe(format: .png, width: 64, height: 64))
        var configuration = ReplicateConfiguration(key: "k", model: Self.model)
        configuration.outputFormats = ["png", "jpeg"]
        let edit = try ArkProviderTests.request(numImages: 3, mode: .edit, references: [reference])
        let body = try #require(
            try JSONSerialization.jsonObject(with: Data(ReplicateProvider.body(for: edit, configuration: configuration))) as? [String: Any]
        )
        let input = try #require(body["input"] as? [String: Any])
        #expect(body.keys.sorted() == ["input"], "no version, no webhook: the model's latest version, followed by polling")
        #expect(input["prompt"] as? String == "a mug" && input["size"] as? String == "2K" && input["aspect_ratio"] as? String == "16:9")
        #expect(input["image_input"] as? [String] == ["data:image/png;base64,\(Data(png).base64EncodedString())"])
        #expect(input["sequential_image_generation"] as? String == "auto" && input["max_images"] as? Int == 3)
        #expect(input["output_format"] as? String == "png")
        #expect(input["seed"] == nil, "Seedream takes no seed on Replicate")
        configuration.outputFormats = []
        let single = try #require(
            try JSONSerialization.jsonObject(with: Data(ReplicateProvider.body(for: try ArkProviderTests.request(), configuration: configuration)))
                as? [String: Any]
        )
        let plain = try #require(single["input"] as? [String: Any])
        #expect(plain["sequential_image_generation"] as? String == "disabled" && plain["image_input"] == nil)
        #expect(plain["output_format"] == nil, "a model without output_format is not sent one")
    }

    @Test func aPredictionIsCreatedOnceItsIdSavedAndItsImagesReturnedAsURLsToMirror() async throws {
        try await Self.run({ $0.latencyMillis = 300 }) { harness, client in
            let saved = Saved()
            let outcome = try await Self.provider(harness, client: client).generate(
                try ArkProviderTests.request(numImages: 3),
                context: saved.context()
            )
            #expect(outcome.images.count == 3 && !outcome.seedHonoured)
            guard case .remote(let url, let type, _, _) = outcome.images[0] else { Issue.record("not a URL"); return }
            #expect(url.hasPrefix("\(harness.root)/files/") && type == "image/png")
            let handle = try #require(saved.handle.withLock { $0 })
            #expect(handle.data == #"{"id":"\#(handle.requestID)"}"# && url.contains(handle.requestID))
            let stats = try await harness.stats()
            #expect(stats["accepted"] == 1 && stats["imagesBilled"] == 3 && stats["statusPolls"]! >= 1)
            #expect(saved.submits.withLock { $0 } == 1)
        }
    }

    @Test func aRunStoppedMidPredictionIsResumedThroughTheSavedIdNeverCreatedAgain() async throws {
        try await Self.run({ $0.latencyMillis = 1500 }) { harness, client in
            let saved = Saved()
            let provider = Self.provider(harness, client: client)
            let request = try ArkProviderTests.request(numImages: 2)
            let first = Task { try await provider.generate(request, context: saved.context()) }
            while saved.handle.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(10)) }
            first.cancel()  // a shutdown mid-poll
            let stopped = await #expect(throws: ProviderError.self) { try await first.value }
            #expect(stopped?.code == .interrupted)
            let outcome = try await provider.generate(request, context: saved.context())
            #expect(outcome.images.count == 2)
            let stats = try await harness.stats()
            #expect(stats["accepted"] == 1 && stats["requestsReceived"] == 1 && stats["imagesBilled"] == 2)
            #expect(saved.submits.withLock { $0 } == 1)
        }
    }

    @Test func theOwnersCancelReachesReplicateAndNothingIsBilled() async throws {
        try await Self.run({ $0.latencyMillis = 2000 }) { harness, client in
            let saved = Saved()
            let context = saved.context { saved.handle.withLock { $0 } != nil }
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(try ArkProviderTests.request(numImages: 2), context: context)
            }
            #expect(error?.code == .cancelled && error?.billedImages == 0, "\(String(describing: error))")
            #expect(error?.upstreamDetail?.contains("cancel: canceled") == true)
            let stats = try await harness.stats()
            #expect(stats["cancelled"] == 1 && stats["imagesBilled"] == 0)
        }
    }

    @Test func nothingLeavesWhenTheOwnerCancelledFirst() async throws {
        try await Self.run { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(
                    try ArkProviderTests.request(),
                    context: ProviderContext(resume: nil, cancelRequested: { true }) { _ in }
                )
            }
            #expect(error?.code == .cancelled)
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == 0)
        }
    }

    @Test func aPredictionPastTheDeadlineIsCancelledUpstreamAndBillsNothing() async throws {
        try await Self.run({ $0.latencyMillis = 5000 }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client, deadline: .milliseconds(300)).generate(
                    try ArkProviderTests.request(),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code == .deadlineExceeded && error?.billedImages == 0 && error?.upstreamDetail == "cancel: canceled")
            let stats = try await harness.stats()
            #expect(stats["cancelled"] == 1)
        }
    }

    @Test func aSequentialPredictionThatDeliversFewerImagesReturnsWhatCame() async throws {
        try await Self.run({ $0.imageFailureRate = 0.5 }) { harness, client in
            let outcome = try await Self.provider(harness, client: client).generate(
                try ArkProviderTests.request(numImages: 6),
                context: ProviderContext(resume: nil) { _ in }
            )
            let stats = try await harness.stats()
            #expect(stats["imageFailures"]! > 0 && outcome.images.count == 6 - stats["imageFailures"]!)
            #expect(stats["imagesBilled"] == outcome.images.count, "Replicate bills what it output, which is what is charged")
        }
    }

    @Test func a429BurstIsWaitedOutAndThePredictionCreatedOnce() async throws {
        try await Self.run({
            $0.rateLimitFirst = 2
            $0.retryAfterSeconds = 0
        }) { harness, client in
            let outcome = try await Self.provider(harness, client: client).generate(
                try ArkProviderTests.request(),
                context: ProviderContext(resume: nil) { _ in }
            )
            #expect(outcome.images.count == 1)
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == 3 && stats["rateLimited"] == 2 && stats["accepted"] == 1)
        }
    }

    @Test func aCreateAnsweredWithA500IsAnUnknownOutcomeNeverSentAgain() async throws {
        try await Self.run({ $0.lostAnswerRate = 1 }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(
                    try ArkProviderTests.request(numImages: 2),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code == .outcomeUnknown && error?.billedImages == 2, "the possible bill is recorded")
            #expect(error?.upstreamType == "Internal Server Error")
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == 1 && stats["answersLost"] == 1 && stats["accepted"] == 1)
        }
    }

    /// Each failure, as the emulator answers it (problem details, or a prediction that ends `failed`), becomes its
    /// class of error; only a refusal to start is sent again.
    @Test(arguments: [
        ("content_policy", "contentPolicyViolation", "prediction_failed", 1),
        ("internal_error", "supplierFailed", "prediction_failed", 1),
        ("invalid_parameter", "upstreamFailed", "Input validation failed", 1),
        ("authentication", "routeUnusable", "Unauthenticated", 1),
        ("model_not_found", "routeUnusable", "Not found", 1),
        ("overloaded", "notStarted", "Request was throttled.", 4),
    ])
    func eachReplicateErrorIsTyped(failType: String, code: String, upstreamType: String, requests: Int) async throws {
        try await Self.run({
            $0.failRate = 1
            $0.failType = ArkFailureType(rawValue: failType)!
            $0.retryAfterSeconds = 0
        }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(
                    try ArkProviderTests.request(),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code.description == code && error?.upstreamType == upstreamType, "\(String(describing: error))")
            #expect(error?.billedImages == 0, "nothing ran, or a failed prediction output nothing")
            let stats = try await harness.stats()
            #expect(stats["requestsReceived"] == requests && stats["imagesBilled"] == 0)
        }
    }

    @Test func anOutputRefusedByTheSafetyCheckerIsAContentPolicyViolation() async throws {
        try await Self.run({ $0.imageFailureRate = 1 }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, client: client).generate(
                    try ArkProviderTests.request(),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code == .contentPolicyViolation && error?.upstreamDetail?.contains("(E005)") == true)
        }
    }

    @Test func aWrongTokenIsARouteThatCannotWork() async throws {
        try await Self.run({ $0.requiredKey = "right" }) { harness, client in
            let error = await #expect(throws: ProviderError.self) {
                try await Self.provider(harness, key: "wrong", client: client).generate(
                    try ArkProviderTests.request(),
                    context: ProviderContext(resume: nil) { _ in }
                )
            }
            #expect(error?.code == .routeUnusable && error?.upstreamDetail?.contains("You did not pass a valid authentication token") == true)
        }
    }

    /// A route refused (a wrong token) or throttled past its tries created nothing on Replicate: the generation moves
    /// to the model's next route, and the books hear of the failed attempt first.
    @Test(arguments: ["refused", "throttled"])
    func aReplicateRouteThatStartedNothingFailsOver(way: String) async throws {
        try await Self.run({
            $0.requiredKey = "right"
            $0.rateLimitFirst = way == "throttled" ? 100 : 0
            $0.retryAfterSeconds = 0
        }) { harness, client in
            let request = try ArkProviderTests.request()
            let replicate = RoutedProvider.Assignment(
                route: ModelRoute(provider: .replicate, model: Self.model, cost: .flat(35_000)),
                provider: Self.provider(harness, key: way == "throttled" ? "right" : "wrong", client: client)
            )
            let local = RoutedProvider.Assignment(route: ModelRoute(provider: .local, cost: .flat(0)), provider: LocalProvider())
            let failed = Saved()
            let context = ProviderContext(
                resume: nil,
                attemptFailed: { attempt, error in failed.notes.withLock { $0.append("\(attempt.route): \(error.code)") } }
            ) { _ in }
            let outcome = try await RoutedProvider(routes: [request.model.id: [replicate, local]]).generate(request, context: context)
            #expect(outcome.images.count == 1)
            #expect(failed.notes.withLock { $0 } == [way == "throttled" ? "replicate: notStarted" : "replicate: routeUnusable"])
            let stats = try await harness.stats()
            #expect(stats["accepted"] == 0, "no prediction was created")
        }
    }

    @Test func aSizeTheModelDoesNotTakeIsRefusedNamingTheField() async throws {
        try await Self.run { harness, client in
            var configuration = ReplicateConfiguration(key: "k", baseURL: harness.root, model: "bytedance/seedream-4.5")
            configuration.maxBackoff = .milliseconds(10)
            let provider = ReplicateProvider(
                configuration: configuration,
                httpClient: client,
                submitClient: client,
                logger: Logger(label: "replicate")
            )
            let threeK = ProviderRequest(
                generationID: "gen_3k",
                model: try #require(try ModelCatalog.bundled().model("seedream-5-lite")),
                mode: .generate,
                prompt: "x",
                aspectRatio: "1:1",
                resolvedAspectRatio: "1:1",
                sizeTier: "3K",
                pixelSize: PixelSize(width: 3072, height: 3072),
                numImages: 1,
                seed: 1,
                outputFormat: .png,
                references: [],
                startedAtMillis: Int64(Date().timeIntervalSince1970 * 1000)
            )
            let error = await #expect(throws: ProviderError.self) {
                try await provider.generate(threeK, context: ProviderContext(resume: nil) { _ in })
            }
            #expect(error?.code == .upstreamFailed && error?.message.contains("input.size") == true, "\(String(describing: error))")
        }
    }
}
