import ArgumentParser
import FalEmulator
import ImageGateApp
import Logging
import ServiceLifecycle
import UnixSignals

/// `imagegate fal-emulator`: fal.ai's queue protocol, offline, for development, tests and benchmarks.
struct FalEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fal-emulator",
        abstract: "Run a local server that speaks fal.ai's queue protocol (and its synchronous host).",
        discussion: """
            The queue host (submit, status, status/stream, result, cancel, ?fal_webhook=) listens on --port; the
            synchronous fal.run-style host (POST /{endpoint} returns the result) on --sync-port. Images come from the
            local engine at the requested size. Any endpoint id is accepted.
            """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Queue host port (queue.fal.run).") var port = 8181
    @Option(name: .customLong("sync-port"), help: "Synchronous host port (fal.run); 0 turns it off.") var syncPort = 8182
    @Option(help: "Run time of each request, e.g. 0, 500ms, 2s.") var latency = "0"
    @Option(name: .customLong("queue-latency"), help: "Time each request waits IN_QUEUE before it runs, e.g. 200ms.") var queueLatency = "0"
    @Option(name: .customLong("submit-latency"), help: "Time an accepted submit takes to answer, e.g. 3s.") var submitLatency = "0"
    @Option(name: .customLong("fail-rate"), help: "Share of requests (0 to 1) that fail.") var failRate = 0.0
    @Option(name: .customLong("fail-type"), help: "runner_disconnected, request_timeout, validation, content_policy or nul_message.")
    var failType = "runner_disconnected"
    @Option(name: .customLong("drop-output-rate"), help: "Share of output images whose URL answers 404.") var dropOutputRate = 0.0
    @Option(name: .customLong("reject-first-submits"), help: "Answer 503 to the first N submits (exercises client retries).")
    var rejectFirstSubmits = 0
    @Option(name: .customLong("status-error-rate"), help: "Share of status polls answered 500.") var statusErrorRate = 0.0
    @Option(name: .customLong("download-error-rate"), help: "Share of output downloads answered 503.") var downloadErrorRate = 0.0
    @Option(name: .customLong("lost-submit-rate"), help: "Share of submits accepted, then answered 504 as by a proxy.")
    var lostSubmitRate = 0.0
    @Option(name: .customLong("key"), help: "Require 'Authorization: Key <this>' (default: any key).") var key: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate: serve HTTPS.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("public-url"), help: "Base URL clients use to reach the queue host (default: derived).") var publicURL: String?
    @Option(help: "Seed of the failure/drop dice.") var seed: UInt64 = 42

    func run() async throws {
        var config = FalEmulatorConfiguration()
        config.host = self.host
        config.port = self.port
        config.syncPort = self.syncPort == 0 ? nil : self.syncPort
        guard let run = Self.millis(self.latency), let queue = Self.millis(self.queueLatency), let submit = Self.millis(self.submitLatency) else {
            throw ValidationError("--latency / --queue-latency / --submit-latency: expected e.g. 0, 250ms or 2s")
        }
        config.runLatencyMillis = run
        config.queueLatencyMillis = queue
        config.submitLatencyMillis = submit
        let rates = [self.failRate, self.dropOutputRate, self.statusErrorRate, self.downloadErrorRate, self.lostSubmitRate]
        guard rates.allSatisfy({ (0...1).contains($0) }) else { throw ValidationError("rates are between 0 and 1") }
        config.faults.statusError.rate = self.statusErrorRate
        config.faults.downloadError.rate = self.downloadErrorRate
        config.faults.lostSubmit.rate = self.lostSubmitRate
        config.failRate = self.failRate
        guard let type = FalFailureType(rawValue: self.failType) else {
            throw ValidationError("--fail-type: one of \(FalFailureType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        config.failType = type
        config.dropOutputRate = self.dropOutputRate
        config.rejectFirstSubmits = self.rejectFirstSubmits
        config.requiredKey = self.key
        guard (self.tlsCert == nil) == (self.tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        config.tlsCertificatePath = self.tlsCert
        config.tlsKeyPath = self.tlsKey
        config.publicURL = self.publicURL
        config.randomSeed = self.seed

        var logger = Logger(label: "fal-emulator")
        logger.logLevel = .info
        let services = try FalEmulator.applications(config, logger: logger)
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// "0", "250ms", "2s", "1m" → milliseconds.
    static func millis(_ text: String) -> Int64? {
        if text.hasSuffix("ms") { return Int64(text.dropLast(2)) }
        if let seconds = DurationText.seconds(text) { return seconds * 1000 }
        return nil
    }
}
