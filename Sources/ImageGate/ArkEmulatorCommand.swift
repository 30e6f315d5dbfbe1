import ArgumentParser
import ArkEmulator
import Logging
import ServiceLifecycle
import UnixSignals

/// `imagegate ark-emulator`: BytePlus ModelArk's image API, offline, for development and tests.
struct ArkEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ark-emulator",
        abstract: "Run a local server that speaks BytePlus ModelArk's image API (POST /api/v3/images/generations).",
        discussion: """
            Synchronous like Ark: the answer holds the images, as URLs on this server (or b64_json). Sizes, references
            and sequential generation are checked as Ark checks them; errors carry Ark's bodies. Point an Ark route at
            it with base_url http://HOST:PORT/api/v3. GET /_emulator/stats counts calls and images billed.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8183
    @Option(help: "Time each call takes, e.g. 0, 500ms, 2s.") var latency = "0"
    @Option(name: .customLong("fail-rate"), help: "Share of calls (0 to 1) that fail as a whole.") var failRate = 0.0
    @Option(
        name: .customLong("fail-type"),
        help: "invalid_parameter, content_policy, authentication, model_not_found, overloaded or internal_error."
    )
    var failType = "internal_error"
    @Option(name: .customLong("rate-limit-first"), help: "Answer 429 (with Retry-After) to the first N calls.") var rateLimitFirst = 0
    @Option(name: .customLong("rate-limit-rate"), help: "Share of later calls answered 429.") var rateLimitRate = 0.0
    @Option(name: .customLong("retry-after"), help: "Seconds in a 429's Retry-After.") var retryAfter = 1
    @Option(name: .customLong("image-failure-rate"), help: "Share of images that fail on their own (data[i].error).")
    var imageFailureRate = 0.0
    @Option(name: .customLong("lost-answer-rate"), help: "Share of calls done and billed, then answered 500.") var lostAnswerRate = 0.0
    @Option(name: .customLong("drop-output-rate"), help: "Share of image URLs that answer 404.") var dropOutputRate = 0.0
    @Option(name: .customLong("key"), help: "Require 'Authorization: Bearer <this>' (default: any key).") var key: String?
    @Option(name: .customLong("public-url"), help: "Base URL of image links (default: http://HOST:PORT).") var publicURL: String?
    @Option(help: "Seed of the failure dice.") var seed: UInt64 = 42

    func run() async throws {
        try await Self.serve(try self.configuration(), name: "ark-emulator", ArkEmulator.application)
    }

    /// Runs the Ark emulator, or another protocol's (OpenAI-compatible, Replicate) on the same engine and knobs.
    static func serve(
        _ config: ArkEmulatorConfiguration,
        name: String,
        _ application: (ArkEmulatorConfiguration, Logger) -> any Service
    ) async throws {
        var logger = Logger(label: name)
        logger.logLevel = .info
        let service = application(config, logger)
        let group = ServiceGroup(configuration: .init(services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The knobs, checked.
    func configuration() throws -> ArkEmulatorConfiguration {
        var config = ArkEmulatorConfiguration()
        config.host = self.host
        config.port = self.port
        guard let latency = FalEmulatorCommand.millis(self.latency) else { throw ValidationError("--latency: expected e.g. 0, 250ms or 2s") }
        config.latencyMillis = latency
        let rates = [self.failRate, self.rateLimitRate, self.imageFailureRate, self.lostAnswerRate, self.dropOutputRate]
        guard rates.allSatisfy({ (0...1).contains($0) }) else { throw ValidationError("rates are between 0 and 1") }
        guard let type = ArkFailureType(rawValue: self.failType) else {
            throw ValidationError("--fail-type: one of \(ArkFailureType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        config.failRate = self.failRate
        config.failType = type
        config.rateLimitFirst = self.rateLimitFirst
        config.rateLimitRate = self.rateLimitRate
        config.retryAfterSeconds = self.retryAfter
        config.imageFailureRate = self.imageFailureRate
        config.lostAnswerRate = self.lostAnswerRate
        config.dropOutputRate = self.dropOutputRate
        config.requiredKey = self.key
        config.publicURL = self.publicURL
        config.randomSeed = self.seed
        return config
    }
}

/// `imagegate openai-emulator`: an OpenAI-compatible image server, offline, for development and tests.
struct OpenAIEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openai-emulator",
        abstract: "Run a local OpenAI-compatible image server (POST /v1/images/generations and /v1/images/edits).",
        discussion: """
            Synchronous like OpenAI: the answer holds the images as URLs on this server or b64_json. Takes the same
            knobs as ark-emulator; errors carry OpenAI's envelope. Point an openai route at it with base_url
            http://HOST:PORT/v1. GET /_emulator/stats counts calls and images billed.
            """
    )

    @OptionGroup var options: ArkEmulatorCommand

    func run() async throws {
        try await ArkEmulatorCommand.serve(try self.options.configuration(), name: "openai-emulator", ArkEmulator.openAIApplication)
    }
}
