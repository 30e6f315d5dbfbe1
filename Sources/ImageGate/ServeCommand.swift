import ArgumentParser
import Billing
import Foundation
import Hummingbird
import ImageGateApp
import Logging
import Storage
import Synchronization

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

        // What the process runs with, as `imagegate config` shows it (secrets only say they are set).
        let effective = try settings.effective().filter { !$0.source.isEmpty }
        logger.info(
            "ImageGate starting",
            metadata: [
                "version": .string(ImageGateVersion.current),
                "tasks_on_event_loops": .stringConvertible(ImageGateCommand.tasksOnEventLoops.load(ordering: .relaxed)),
                "settings": .dictionary(Dictionary(uniqueKeysWithValues: effective.map { ($0.name, .string($0.value)) })),
            ]
        )
        let json = try settings.required(settings.text, "log-format") == "json"
        if !config.noDefaultAccount { try await self.createDefaultAccountIfFresh(config, jsonLog: json, logger: logger) }
        let app = try await buildApplication(config, logger: logger)
        try await app.runService()
        logger.info("ImageGate stopped", metadata: ["version": .string(ImageGateVersion.current)])
    }

    /// On the very first start, create account `default` with $10.00 and show its key once, so the README's
    /// quickstart works by copy and paste (`--no-default-account` starts without it).
    ///
    /// The key goes to the terminal, never through the logger: with `--log-format json` on a terminal it is written
    /// to the terminal itself; without one (a service manager collecting the JSON log), to an owner-only file in the
    /// data directory, and the log says where. In text mode it goes to stderr, with the log.
    func createDefaultAccountIfFresh(_ config: AppConfiguration, jsonLog: Bool, logger: Logger) async throws {
        var quiet = Logger(label: "imagegate")
        quiet.logLevel = .warning
        let environment = try await Environment.open(config.data, catalogPath: config.catalogPath, logger: quiet)
        let accounts = AccountStore(database: environment.database)
        guard try await accounts.isEmpty() else {
            try await environment.database.close()
            return
        }
        let account = try await accounts.create(name: "default", credit: MicroUSD(micros: 10_000_000), note: "first-start credit")
        let (_, secret) = try await APIKeyStore(database: environment.database).create(accountID: account.id, label: "first-start key")
        try await environment.database.close()
        let banner = """
            ImageGate: first start. Created account 'default' with $10.00 of credit and this API key (shown once):

                export IMAGEGATE_API_KEY=\(secret)


            """
        if !jsonLog || isatty(STDERR_FILENO) == 1 {
            FileHandle.standardError.write(Data(banner.utf8))
            return
        }
        let path = "\(config.data.directory)/first-start-key"
        FileManager.default.createFile(atPath: path, contents: Data(banner.utf8), attributes: [.posixPermissions: 0o600])
        logger.notice("first start: created account 'default' with $10.00; its API key is in \(path) (owner-only): copy it, then delete the file")
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
