import Configuration
import Foundation
import SystemPackage

extension SettingsReader.Source {
    /// Values already parsed from the command line.
    static func commandLine(_ values: [AbsoluteConfigKey: ConfigValue]) -> Self {
        Self(name: "command line", provider: InMemoryProvider(name: "command line", values: values)) { "--\($0.name)" }
    }

    /// `IMAGEGATE_NAME` for the setting `name`: swift-configuration's environment provider under the `imagegate` prefix.
    static func environment(_ variables: [String: String]) -> Self {
        let provider = KeyMappingProvider(upstream: EnvironmentVariablesProvider(environmentVariables: variables)) { key in
            key.prepending(["imagegate"])
        }
        return Self(name: "environment", provider: provider) { $0.environmentName }
    }

    /// The other tools' variables (`FAL_KEY`, `AWS_REGION`), each read for the one setting that names it.
    static func aliases(in variables: [String: String], declarations: [ConfigSetting]) throws -> Self {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var names: [String: String] = [:]
        for setting in declarations {
            guard let alias = setting.environmentAliases.first(where: { variables[$0] != nil }), let text = variables[alias] else { continue }
            values[setting.key] = ConfigValue(try setting.content(parsing: text, from: alias), isSecret: setting.isSecret)
            names[setting.name] = alias
        }
        return Self(name: "environment", provider: InMemoryProvider(name: "environment aliases", values: values)) { [names] in
            names[$0.name] ?? $0.environmentName
        }
    }

    /// A JSON object of settings by name (`{"port": 9000, "output-retention": "7d"}`). A name that no command
    /// declares is refused, so a typo in the file is not silently ignored.
    static func file(_ path: String) async throws -> Self {
        let known = Set((ConfigSettings.serve).map(\.name))
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw SettingsError(.unreadableFile, "--config \(path): cannot be read as JSON (\(error.localizedDescription))")
        }
        guard let names = (object as? [String: Any])?.keys else {
            throw SettingsError(.unreadableFile, "--config \(path): not a JSON object of settings")
        }
        if let unknown = names.sorted().first(where: { !known.contains($0) }) {
            throw SettingsError(.unknownSetting, "--config \(path): unknown setting \"\(unknown)\"")
        }
        let provider = try await FileProvider<JSONSnapshot>(filePath: FilePath(path))
        return Self(name: "file \(path)", provider: provider) { "\(path): \"\($0.name)\"" }
    }
}
