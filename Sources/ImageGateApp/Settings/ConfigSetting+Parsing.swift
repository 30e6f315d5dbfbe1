import Configuration
import Foundation

extension ConfigSetting {
    /// Turns text (from the command line or a default) into the value this setting holds, within its bounds.
    /// `source` names where the text came from, for the error.
    func content(parsing text: String, from source: String) throws -> ConfigContent {
        func invalid(_ expected: String) -> SettingsError {
            let shown = self.isSecret ? "" : " '\(text)'"
            return SettingsError(.invalidValue, "\(source):\(shown) \(expected)")
        }
        switch self.kind {
        case .text:
            return .string(text)
        case .choice(let words):
            guard words.contains(text) else { throw invalid("is not one of \(words.joined(separator: ", "))") }
            return .string(text)
        case .integer(let range):
            guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw invalid("is not a whole number") }
            guard range.contains(value) else { throw invalid("must be \(range.lowerBound) to \(range.upperBound)") }
            return .int(value)
        case .flag:
            switch text.lowercased() {
            case "1", "true", "yes", "on": return .bool(true)
            case "0", "false", "no", "off", "": return .bool(false)
            default: throw invalid("is not on or off (true, false, 1, 0, yes, no)")
            }
        case .duration(let range):
            guard let seconds = DurationText.seconds(text) else { throw invalid("is not a duration such as 30s, 15m, 12h or 7d") }
            guard range.contains(seconds) else {
                throw invalid("must be \(DurationText.text(range.lowerBound)) to \(DurationText.text(range.upperBound))")
            }
            return .string(text)
        }
    }

    /// The type a provider is asked for: durations and choices are text until parsed.
    var configType: ConfigType {
        switch self.kind {
        case .text, .choice, .duration: .string
        case .integer: .int
        case .flag: .bool
        }
    }

    /// The key the providers look this setting up by: one component, so a file's key is the name itself.
    var key: AbsoluteConfigKey { AbsoluteConfigKey([self.name]) }
}
