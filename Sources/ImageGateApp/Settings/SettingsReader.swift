import Configuration
import Foundation
import SystemPackage

/// Every setting's value, read through swift-configuration from, first to last: the command line, `IMAGEGATE_*`
/// environment variables, the environment variables of other tools that a setting names (`FAL_KEY`,
/// `AWS_ACCESS_KEY_ID`), the `--config` JSON file, and the declared default. Each value is checked against its
/// declaration, wherever it came from.
package struct SettingsReader: Sendable {
    /// One provider in the order, with the name `imagegate config` shows for it.
    package struct Source: Sendable {
        package let name: String
        let provider: any ConfigProvider
        /// How a person would write `setting` in this source, for error messages.
        let spelling: @Sendable (ConfigSetting) -> String

        package init(name: String, provider: any ConfigProvider, spelling: @escaping @Sendable (ConfigSetting) -> String) {
            self.name = name
            self.provider = provider
            self.spelling = spelling
        }
    }

    package let declarations: [ConfigSetting]
    let sources: [Source]
    let reader: ConfigReader
    let byName: [String: ConfigSetting]

    /// Reads `declarations` from `sources` in order, then their defaults.
    package init(declarations: [ConfigSetting], sources: [Source]) throws {
        var defaults: [AbsoluteConfigKey: ConfigValue] = [:]
        for setting in declarations {
            guard let text = setting.defaultText else { continue }
            defaults[setting.key] = ConfigValue(
                try setting.content(parsing: text, from: "the default of --\(setting.name)"),
                isSecret: setting.isSecret
            )
        }
        let all = sources + [Source(name: "default", provider: InMemoryProvider(name: "default", values: defaults)) { "the default of --\($0.name)" }]
        self.declarations = declarations
        self.sources = all
        self.reader = ConfigReader(providers: all.map(\.provider))
        self.byName = Dictionary(declarations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Settings given as command-line text (`["workers": "2", "lease": "3s"]`), checked as the command line is: the
    /// in-memory provider tests use instead of editing a settings struct.
    package static func inMemory(_ texts: [String: String], declarations: [ConfigSetting] = ConfigSettings.serve) throws -> SettingsReader {
        let arguments = texts.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" }
        let values = try CommandLineSettings.values(arguments, declarations: declarations)
        return try SettingsReader(declarations: declarations, sources: [.commandLine(values)])
    }

    /// The standard order for a command: its arguments, the environment, then the `--config` file (or
    /// `IMAGEGATE_CONFIG`). Any name in the file must be a setting of some command.
    package static func load(
        _ declarations: [ConfigSetting],
        arguments: [String],
        configFile: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> SettingsReader {
        let environment = environment.filter { !$0.value.isEmpty }
        var sources: [Source] = [
            .commandLine(try CommandLineSettings.values(arguments, declarations: declarations)),
            .environment(environment),
            try .aliases(in: environment, declarations: declarations),
        ]
        if let path = configFile ?? environment["IMAGEGATE_CONFIG"] {
            sources.append(try await .file(path))
        }
        return try SettingsReader(declarations: declarations, sources: sources)
    }

    // MARK: Typed values

    /// A text, choice or duration setting's text; nil when unset.
    package func text(_ name: String) throws -> String? {
        guard case .string(let text) = try self.content(name) else { return nil }
        return text
    }

    package func integer(_ name: String) throws -> Int? {
        guard case .int(let value) = try self.content(name) else { return nil }
        return value
    }

    package func flag(_ name: String) throws -> Bool {
        guard case .bool(let value) = try self.content(name) else { return false }
        return value
    }

    /// A duration setting in seconds; nil when unset.
    package func seconds(_ name: String) throws -> Int64? {
        try self.text(name).flatMap(DurationText.seconds)
    }

    /// The setting's value from the first source that holds it, checked against its declaration; nil when none does.
    func content(_ name: String) throws -> ConfigContent? {
        try self.lookup(name)?.content
    }

    /// The setting's checked value and the source it came from (one search of the sources serves both).
    private func lookup(_ name: String) throws -> (content: ConfigContent, source: Source?)? {
        guard let setting = self.byName[name] else { preconditionFailure("no setting named \(name) is declared") }
        let raw: String? =
            switch setting.configType {
            case .int: self.reader.int(forKey: ConfigKey([name]), isSecret: setting.isSecret).map { String($0) }
            case .bool: self.reader.bool(forKey: ConfigKey([name]), isSecret: setting.isSecret).map { String($0) }
            default: self.reader.string(forKey: ConfigKey([name]), isSecret: setting.isSecret)
            }
        let source = self.source(of: setting)
        guard let raw else {
            // A source holds it, but not as this kind of value (a JSON number for a duration, IMAGEGATE_PORT=abc).
            if let source { throw SettingsError(.invalidValue, "\(source.spelling(setting)): not a valid value (\(setting.expected))") }
            return nil
        }
        return (try setting.content(parsing: raw, from: source?.spelling(setting) ?? "--\(name)"), source)
    }

    /// The first source holding `setting` in any type (a lookup that throws holds it in a type it cannot convert).
    func source(of setting: ConfigSetting) -> Source? {
        self.sources.first { source in
            [ConfigType.string, .int, .bool, .double].contains { type in
                do { return try source.provider.value(forKey: setting.key, type: type).value != nil } catch { return true }
            }
        }
    }

    // MARK: What `imagegate config` prints

    /// One line of the effective settings: the value as text (secrets hidden) and the source it came from.
    package struct Effective: Sendable, Equatable {
        package let name: String
        package let value: String
        package let source: String

        package init(name: String, value: String, source: String) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    /// Every declared setting's value and source, secrets replaced by `(secret)`.
    package func effective() throws -> [Effective] {
        try self.declarations.map { setting in
            guard let found = try self.lookup(setting.name), let source = found.source else {
                return Effective(name: setting.name, value: "(unset)", source: "")
            }
            let content = found.content
            let value: String =
                switch content {
                case _ where setting.isSecret: "(secret)"
                case .string(let text): text
                case .int(let number): String(number)
                case .bool(let on): on ? "true" : "false"
                default: "\(content)"
                }
            return Effective(name: setting.name, value: value, source: source.name)
        }
    }
}

extension ConfigSetting {
    /// What a value of this setting looks like, for messages.
    var expected: String {
        switch self.kind {
        case .text: "text"
        case .choice(let words): words.joined(separator: ", ")
        case .integer(let range): "a whole number, \(range.lowerBound) to \(range.upperBound)"
        case .flag: "true or false"
        case .duration: "a duration such as 30s, 15m, 12h or 7d, as a string"
        }
    }
}

extension SettingsReader {
    /// The value of a setting that has a declared default, so it is never unset: `required(settings.text, "host")`.
    package func required<Value>(_ read: (String) throws -> Value?, _ name: String) throws -> Value {
        guard let value = try read(name) else { preconditionFailure("--\(name) has no declared default") }
        return value
    }
}
