import Configuration

/// The settings given on a command line (`--port 9000`, `--port=9000`, `--allow-private-image-urls`), checked against
/// the declarations: a name no setting has, or a value its kind refuses, is an error here rather than a setting quietly
/// ignored. (swift-configuration's own `CommandLineArgumentsProvider` splits values at commas and accepts any name.)
enum CommandLineSettings {
    static func values(_ arguments: [String], declarations: [ConfigSetting]) throws -> [AbsoluteConfigKey: ConfigValue] {
        let byName = Dictionary(declarations.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw SettingsError(.unknownSetting, "unexpected argument '\(argument)'")
            }
            let body = argument.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let inline = body.firstIndex(of: "=").map { String(body[body.index(after: $0)...]) }
            guard let setting = byName[name] else {
                throw SettingsError(.unknownSetting, "unknown option '--\(name)' (imagegate serve --help lists the settings)")
            }
            let text: String
            if let inline {
                text = inline
            } else if case .flag = setting.kind {
                text = "true"
            } else {
                guard index < arguments.endIndex else { throw SettingsError(.missingValue, "--\(name) needs a value") }
                text = arguments[index]
                index += 1
            }
            values[setting.key] = ConfigValue(try setting.content(parsing: text, from: "--\(name)"), isSecret: setting.isSecret)
        }
        return values
    }
}
