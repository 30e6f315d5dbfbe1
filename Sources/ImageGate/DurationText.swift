import Foundation

/// Parses durations written as `90`, `90s`, `15m`, `2h` or `7d` into seconds.
enum DurationText {
    static func seconds(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard let last = trimmed.last else { return nil }
        let multipliers: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let multiplier = multipliers[last] {
            guard let value = Int64(trimmed.dropLast()), value > 0 else { return nil }
            return value * multiplier
        }
        guard let value = Int64(trimmed), value > 0 else { return nil }
        return value
    }
}
