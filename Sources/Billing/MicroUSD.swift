import Foundation

/// An amount of money in integer millionths of a US dollar. All storage and arithmetic use this; floating point
/// never touches money. In JSON it is written as a plain decimal number of dollars with at most six decimals.
package struct MicroUSD: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    package let micros: Int64

    package init(micros: Int64) {
        self.micros = micros
    }

    package static let zero = MicroUSD(micros: 0)

    /// Parses a dollar amount written in decimal ("10", "0.014", "-2.5"). More than six decimals is rejected,
    /// because it cannot be represented exactly.
    package init?(usd text: String) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        let negative = rest.hasPrefix("-")
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), fraction.count <= 6,
            whole.allSatisfy({ $0.isASCII && $0.isNumber }), fraction.allSatisfy({ $0.isASCII && $0.isNumber }),
            let dollars = whole.isEmpty ? 0 : Int64(whole), dollars <= 9_000_000_000
        else { return nil }
        let padded = fraction + String(repeating: "0", count: 6 - fraction.count)
        let micros = dollars * 1_000_000 + (Int64(padded) ?? 0)
        self.micros = negative ? -micros : micros
    }

    /// The exact decimal value in dollars.
    package var decimalUSD: Decimal {
        Decimal(sign: self.micros < 0 ? .minus : .plus, exponent: -6, significand: Decimal(self.micros.magnitude))
    }

    /// "0.014", "10", "-1.5": the shortest exact decimal.
    package var description: String {
        let sign = self.micros < 0 ? "-" : ""
        let whole = self.micros.magnitude / 1_000_000
        let fraction = self.micros.magnitude % 1_000_000
        guard fraction > 0 else { return "\(sign)\(whole)" }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(sign)\(whole).\(digits)"
    }

    /// "$0.014", "$10.00", "$0.00" for people: the exact amount, with at least the cents, as the pages show it.
    package var formatted: String {
        var digits = MicroUSD(micros: Int64(clamping: self.micros.magnitude)).description
        let decimals = digits.split(separator: ".", omittingEmptySubsequences: false).dropFirst().first?.count ?? 0
        if decimals == 0 { digits += ".00" } else if decimals == 1 { digits += "0" }
        return self.micros < 0 ? "-$\(digits)" : "$\(digits)"
    }

    package static func < (lhs: MicroUSD, rhs: MicroUSD) -> Bool { lhs.micros < rhs.micros }
    package static func + (lhs: MicroUSD, rhs: MicroUSD) -> MicroUSD { MicroUSD(micros: lhs.micros + rhs.micros) }
    package static func - (lhs: MicroUSD, rhs: MicroUSD) -> MicroUSD { MicroUSD(micros: lhs.micros - rhs.micros) }
    package static func * (lhs: MicroUSD, rhs: Int) -> MicroUSD { MicroUSD(micros: lhs.micros * Int64(rhs)) }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.decimalUSD)
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let decimal = try container.decode(Decimal.self)
        guard let value = MicroUSD(usd: "\(decimal)") else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an exact micro-dollar amount")
        }
        self = value
    }
}
