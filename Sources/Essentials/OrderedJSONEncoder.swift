import Foundation

/// JSON for API responses, one way for every body: fields in the order the type declares them (so a response
/// reads in the order the product page shows it, the same on every run: Foundation's encoder orders keys by hash),
/// keys in snake_case, `nil` written as an explicit `null` (a client sees every field, even an empty one), maps
/// with their keys sorted, `Omittable.omitted` left out, `Decimal` written exactly, slashes unescaped.
///
/// Types use the synthesized `Encodable`: a property `estimatedCostUsd` is written `estimated_cost_usd`. A key
/// that does not follow from its name (`outputURLs`) is spelled in `CodingKeys`.
package struct OrderedJSONEncoder: Sendable {
    package init() {}

    package func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try Slot.of(value, at: []).write(to: &bytes)
        return bytes
    }

    /// camelCase to snake_case: an underscore where a lower-case letter or digit meets an upper-case one, and
    /// before the last capital of an acronym followed by lower case (`pixelURLSize` → `pixel_url_size`).
    package static func snakeCase(_ key: String) -> String {
        let characters = Array(key)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result.append("_")
                }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }
}
