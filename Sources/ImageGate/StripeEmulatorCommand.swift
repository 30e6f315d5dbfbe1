import ArgumentParser
import Logging
import ServiceLifecycle
import StripeEmulator
import UnixSignals

/// `imagegate stripe-emulator`: a fake Stripe (Checkout Sessions, a pay page, signed events), offline.
struct StripeEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stripe-emulator",
        abstract: "Run a local fake of Stripe Checkout (sessions, a pay page, signed webhook events) for tests.",
        discussion: """
            Point serve's --stripe-api-base at it, and its --webhook-url at serve's /webhooks/stripe with the same
            --webhook-secret as serve's --stripe-webhook-secret. Any sk_test_ key is accepted. GET /_emulator/events
            lists every event with its exact bytes.
            """
    )
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 12111
    @Option(name: .customLong("public-url"), help: "Base URL of the pay pages (default: http://HOST:PORT).") var publicURL: String?
    @Option(name: .customLong("webhook-url"), help: "Where to POST events (ImageGate's /webhooks/stripe).") var webhookURL: String?
    @Option(name: .customLong("webhook-secret"), help: "The endpoint's signing secret.") var webhookSecret = "whsec_emulator"

    func run() async throws {
        var config = StripeEmulatorConfiguration()
        config.host = self.host
        config.port = self.port
        config.publicURL = self.publicURL
        config.webhookURL = self.webhookURL
        config.webhookSecret = self.webhookSecret
        var logger = Logger(label: "stripe-emulator")
        logger.logLevel = .info
        let group = ServiceGroup(
            configuration: .init(
                services: [StripeEmulator.application(config, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
