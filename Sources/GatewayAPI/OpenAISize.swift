import Catalog
import Foundation

/// Maps OpenAI's `size` (`auto`, `WxH`) onto Seedream's aspect ratio and tier: an exact table size maps to itself;
/// any other `WxH` to the nearest table ratio (on a log scale) and the tier whose pixel count is nearest.
enum OpenAISize {
    static func map(_ size: String?, model: ModelSpec) -> (aspectRatio: String, tier: String)? {
        guard let size, size != "auto" else { return ("auto", "2K") }
        let parts = size.lowercased().split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0, width <= 16384, height <= 16384 else {
            return nil
        }
        for (tier, table) in model.pixelSizes {
            for (ratio, pair) in table where pair == [width, height] { return (ratio, tier) }
        }
        let tier =
            model.pixelSizes.keys.sorted().min { lhs, rhs in
                abs(Self.area(model, lhs) - Double(width * height)) < abs(Self.area(model, rhs) - Double(width * height))
            } ?? "2K"
        guard let ratio = model.nearestAspectRatio(width: width, height: height, tier: tier) else { return nil }
        return (ratio, tier)
    }

    /// Pixels of the tier's 1:1 size.
    static func area(_ model: ModelSpec, _ tier: String) -> Double {
        guard let square = model.pixelSizes[tier]?["1:1"], square.count == 2 else { return 0 }
        return Double(square[0] * square[1])
    }
}
