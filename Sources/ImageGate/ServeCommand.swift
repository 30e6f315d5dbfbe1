import ArgumentParser
import Billing
import Foundation
import Hummingbird
import ImageGateApp
import Logging
import Storage

/// `imagegate serve`: runs the HTTP API until SIGINT/SIGTERM, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the ImageGate API server.",
        discussion: ConfigSettings.help(ConfigSettings.serve)
    )

    @OptionGroup var settings: SettingsArguments

    func run() async throws {
        let settings = try await self.settings.read(ConfigSettings.serve)
        let config = try AppConfiguration(settings)
        let level = Logger.Level(rawValue: try settings.required(settings.text, "log-level")) ?? .info
        Observability.bootstrapLogging(format: try settings.required(settings.text, "log-format"), level: level)
        var logger = Logger(label: "imagegate")
        logger.logLevel = level

        if !config.noDefaultAccount { try await self.createDefaultAccountIfFresh(config) }
        let app = try await buildApplication(config, logger: logger)
        try await app.runService()
    }

    /// On the very first start, create account `default` with $10.00 and print its key once, so the README's
    /// quickstart works by copy and paste (`--no-default-account` starts without it).
    func createDefaultAccountIfFresh(_ config: AppConfiguration) async throws {
        var logger = Logger(label: "imagegate")
        logger.logLevel = .warning
        let environment = try await Environment.open(config.data, catalogPath: config.catalogPath, logger: logger)
        let accounts = AccountStore(database: environment.database)
        guard try await accounts.isEmpty() else {
            try await environment.database.close()
            return
        }
        let account = try await accounts.create(name: "default", credit: MicroUSD(micros: 10_000_000), note: "first-start credit")
        let (_, secret) = try await APIKeyStore(database: environment.database).create(accountID: account.id, label: "first-start key")
        try await environment.database.close()
        print(
            """
            ImageGate: first start. Created account 'default' with $10.00 of credit and this API key (shown once):

                export IMAGEGATE_API_KEY=\(secret)

            """
        )
        fflush(nil)
    }
}

/// `imagegate config`: the settings `serve` would run with, given the same command line, environment and file,
/// each with where it came from; secrets show only that they are set.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print the effective settings of serve (secrets redacted) and where each came from.",
        discussion: ConfigSettings.help(ConfigSettings.serve)
    )

    @Flag(help: "Print JSON instead of a table.") var json = false
    @OptionGroup var settings: SettingsArguments

    func run() async throws {
        let settings = try await self.settings.read(ConfigSettings.serve)
        _ = try AppConfiguration(settings)  // refuse what serve would refuse
        let effective = try settings.effective()
        if self.json {
            try printJSON(Dictionary(uniqueKeysWithValues: effective.map { ($0.name, ["value": $0.value, "source": $0.source]) }))
        } else {
            printTable(["SETTING", "VALUE", "FROM"], effective.map { [$0.name, $0.value, $0.source] })
        }
    }
}
