import Foundation

/// Times are stored as integer Unix milliseconds: the same column type and arithmetic in every dialect.
package enum Timestamp {
    package static func nowMillis() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }

    package static func date(_ millis: Int64) -> Date {
        Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// ISO 8601 in UTC with milliseconds, as every JSON answer writes a time.
    package static func iso8601(_ millis: Int64) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(self.date(millis))
    }
}
