import Generation

/// Reading query parameters the same way on every route: a value out of its range is a 400 that names it.
enum QueryParameter {
    /// An optional integer within `range`.
    static func integer(_ text: Substring?, name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), range.contains(value) else {
            throw APIError(.invalid(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)."))
        }
        return value
    }
}
