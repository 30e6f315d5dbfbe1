import Foundation

/// One sellable model as the catalog file describes it. Prices are integer micro-USD.
package struct ModelSpec: Sendable, Codable, Equatable {
    enum CodingKeys: String, CodingKey {
        case id, vendor, description, tags, modes, routes, parameters, strategy
        case displayName = "display_name"
        case vendorName = "vendor_name"
        case pricePerImageMicros = "price_per_image_micros"
        case retailPerImageMicros = "retail_per_image_micros"
        case pixelSizes = "pixel_sizes"
        case referenceImages = "reference_images"
        case examplePrompts = "example_prompts"
    }

    package let id: String
    package let vendor: String
    /// How people write the vendor ("ByteDance" for `bytedance`); the id when the catalog does not say.
    package let vendorName: String?
    package let displayName: String
    package let description: String
    package let tags: [String]
    package let modes: [String]
    package let pricePerImageMicros: Int64
    package let retailPerImageMicros: Int64
    /// The ways to run the model, in order of preference. The routes whose key is configured are the model's usable
    /// routes (`RoutePlan` in the app); each generation runs on them by `strategy`, failing over where it may.
    package let routes: [ModelRoute]
    /// How a generation picks among the usable routes; `priority` when the catalog does not say.
    package let strategy: RouteStrategy?
    package let parameters: Parameters
    /// Tier ("2K") → aspect ratio ("16:9") → [width, height].
    package let pixelSizes: [String: [String: [Int]]]
    package let referenceImages: ReferenceImageRules
    /// Prompts that show what the model does well, for its page's "Try this prompt"; none when the catalog has none.
    package let examplePrompts: [String]?

    /// The strategy in force.
    package var routeStrategy: RouteStrategy { self.strategy ?? .priority }

    /// The model's first fal route: what `--provider fal` runs on.
    package var falRoute: ModelRoute? { self.routes.first { $0.provider == .fal } }

    /// The accepted ranges and defaults of every request parameter.
    package struct Parameters: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case prompt, seed, size
            case aspectRatio = "aspect_ratio"
            case numImages = "num_images"
            case outputFormat = "output_format"
            case imageUrls = "image_urls"
        }

        package let prompt: LengthRange
        package let aspectRatio: Choice
        package let size: Choice
        package let numImages: IntegerRange
        package let seed: IntegerRange
        package let outputFormat: Choice
        package let imageUrls: CountRange
    }

    /// A string length range in characters.
    package struct LengthRange: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case minLength = "min_length"
            case maxLength = "max_length"
        }

        package let minLength: Int
        package let maxLength: Int
    }

    /// An enumerated string parameter with its default.
    package struct Choice: Sendable, Codable, Equatable {
        package let values: [String]
        package let `default`: String
    }

    /// An integer parameter's bounds, with an optional default.
    package struct IntegerRange: Sendable, Codable, Equatable {
        package let min: Int64
        package let max: Int64
        package let `default`: Int64?
    }

    /// Bounds on the number of items in a list parameter.
    package struct CountRange: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case minItems = "min_items"
            case maxItems = "max_items"
        }

        package let minItems: Int
        package let maxItems: Int
    }

    /// What a reference image (edit mode) must be.
    package struct ReferenceImageRules: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case formats
            case minSide = "min_side"
            case minAspectRatio = "min_aspect_ratio"
            case maxAspectRatio = "max_aspect_ratio"
            case maxBytes = "max_bytes"
            case maxPixels = "max_pixels"
        }

        package let formats: [String]
        package let minSide: Int
        package let minAspectRatio: Double
        package let maxAspectRatio: Double
        package let maxBytes: Int
        package let maxPixels: Int
    }

    /// The exact output size for a tier and a fixed ratio (not `auto`), from the model's own table.
    package func pixelSize(tier: String, aspectRatio: String) -> PixelSize? {
        guard let pair = self.pixelSizes[tier]?[aspectRatio], pair.count == 2 else { return nil }
        return PixelSize(width: pair[0], height: pair[1])
    }

    /// The table ratio closest to `width`/`height` (compared on a log scale, so 2:1 and 1:2 are equally far from 1:1).
    package func nearestAspectRatio(width: Int, height: Int, tier: String) -> String? {
        guard let table = self.pixelSizes[tier], width > 0, height > 0 else { return nil }
        let target = log(Double(width) / Double(height))
        return table.min { lhs, rhs in
            let l = abs(log(Double(lhs.value[0]) / Double(lhs.value[1])) - target)
            let r = abs(log(Double(rhs.value[0]) / Double(rhs.value[1])) - target)
            return l == r ? lhs.key < rhs.key : l < r
        }?.key
    }
}

/// Output dimensions in pixels.
package struct PixelSize: Sendable, Equatable, Codable {
    package let width: Int
    package let height: Int

    package init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}
