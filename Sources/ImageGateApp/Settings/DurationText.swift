import Foundation

/// Durations written as `90`, `90s`, `15m`, `2h` or `7d`, in seconds.
package enum DurationText {
    static let multipliers: [(suffix: Character, seconds: Int64)] = [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)]

    /// The seconds `text` stands for; nil unless it is a whole number (0 or more) with an optional unit.
    package static func seconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let unit = Self.multipliers.first { $0.suffix == last }
        let digits = unit == nil ? Substring(trimmed) : trimmed.dropLast()
        guard let value = Int64(digits), value >= 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit?.seconds ?? 1)
        return overflow ? nil : product
    }

    /// `seconds` in the largest unit that divides it: 604800 → `7d`.
    package static func text(_ seconds: Int64) -> String {
        guard seconds > 0, let unit = Self.multipliers.first(where: { seconds % $0.seconds == 0 }) else { return "\(seconds)s" }
        return "\(seconds / unit.seconds)\(unit.suffix)"
    }
}
