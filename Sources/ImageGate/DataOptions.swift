import ArgumentParser
import Foundation
import ImageGateApp
import Logging

/// A command's settings: `--config FILE` and every declared setting it reads (`--data-dir DIR`, `--port 9000`, …),
/// each also `IMAGEGATE_<NAME>` in the environment or `"<name>"` in the file. Declared once, in `ConfigSettings`;
/// ArgumentParser only hands them over.
struct SettingsArguments: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "A JSON file of settings ({\"port\": 9000, …}), below the command line and the environment (env IMAGEGATE_CONFIG)."
    )
    var configFile: String?

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("Settings, as --name value.", visibility: .hidden))
    var arguments: [String] = []

    /// The settings `declarations` from the command line, the environment and the file, in that order.
    func read(_ declarations: [ConfigSetting]) async throws -> SettingsReader {
        try await SettingsReader.load(declarations, arguments: self.arguments, configFile: self.configFile)
    }
}

/// The data settings (`--data-dir`, `--database`, `--blob-store` and S3's), shared by every operator command.
struct DataOptions: ParsableArguments {
    @OptionGroup var settings: SettingsArguments

    /// Opens the data directory for an operator command; quiet unless something goes wrong. `existing`: for a
    /// command that only reads, which neither creates nor migrates a database (`Environment.openExisting`).
    func open(existing: Bool = false) async throws -> Environment {
        var logger = Logger(label: "imagegate")
        logger.logLevel = .warning
        let location = try await self.location()
        return existing
            ? try await Environment.openExisting(location, logger: logger) : try await Environment.open(location, logger: logger)
    }

    /// Where the data is, from `--data-dir`, `--database` and `--blob-store`.
    func location() async throws -> DataLocation {
        try DataLocation(try await self.settings.read(ConfigSettings.data))
    }
}

/// Reads `IMAGEGATE_<NAME>` variables of the client commands (`IMAGEGATE_URL`, `IMAGEGATE_API_KEY`), which talk to
/// a server rather than configure one.
enum EnvironmentVariable {
    static func get(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment["IMAGEGATE_\(name)"], !value.isEmpty else { return nil }
        return value
    }
}

extension ConfigSettings {
    /// The settings as help text: `--name` (`IMAGEGATE_NAME`), what it is, and its default.
    static func help(_ declarations: [ConfigSetting]) -> String {
        let lines = declarations.map { setting in
            let shown = setting.defaultText.map { " Default: \($0)" } ?? ""
            let aliases = setting.environmentAliases.isEmpty ? "" : " or \(setting.environmentAliases.joined(separator: ", "))"
            return "  --\(setting.name) (\(setting.environmentName)\(aliases))\n      \(setting.help)\(shown)"
        }
        return
            "Settings come from the command line, then IMAGEGATE_<NAME> in the environment, then the --config JSON file "
            + "(keys are the names below), then the default.\n\n" + lines.joined(separator: "\n")
    }
}
