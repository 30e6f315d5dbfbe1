import Foundation

/// One sellable model as the catalog file describes it. Prices are integer micro-USD.
public struct ModelSpec: Sendable, Codable, Equatable {
    enum CodingKeys: String, CodingKey {
        case id, vendor, description, tags, modes, upstream, parameters
        case displayName = "display_name"
        case vendorName = "vendor_name"
        case pricePerImageMicros = "price_per_image_micros"
        case retailPerImageMicros = "retail_per_image_micros"
        case pixelSizes = "pixel_sizes"
        case referenceImages = "reference_images"
    }

    public let id: String
    public let vendor: String
    /// How people write the vendor ("ByteDance" for `bytedance`); the id when the catalog does not say.
    public let vendorName: String?
    public let displayName: String
    public let description: String
    public let tags: [String]
    public let modes: [String]
    public let pricePerImageMicros: Int64
    public let retailPerImageMicros: Int64
    public let upstream: Upstreams
    public let parameters: Parameters
    /// Tier ("2K") → aspect ratio ("16:9") → [width, height].
    public let pixelSizes: [String: [String: [Int]]]
    public let referenceImages: ReferenceImageRules

    /// Where the model runs upstream, and what each image costs us there.
    public struct Upstreams: Sendable, Codable, Equatable {
        public let fal: FalUpstream?
    }

    /// fal.ai endpoint ids and our cost per image on fal.
    public struct FalUpstream: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case generateEndpoint = "generate_endpoint"
            case editEndpoint = "edit_endpoint"
            case costPerImageMicros = "cost_per_image_micros"
        }

        public let generateEndpoint: String
        public let editEndpoint: String
        public let costPerImageMicros: Int64
    }

    /// The accepted ranges and defaults of every request parameter.
    public struct Parameters: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case prompt, seed, size
            case aspectRatio = "aspect_ratio"
            case numImages = "num_images"
            case outputFormat = "output_format"
            case imageUrls = "image_urls"
        }

        public let prompt: LengthRange
        public let aspectRatio: Choice
        public let size: Choice
        public let numImages: IntegerRange
        public let seed: IntegerRange
        public let outputFormat: Choice
        public let imageUrls: CountRange
    }

    /// A string length range in characters.
    public struct LengthRange: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case minLength = "min_length"
            case maxLength = "max_length"
        }

        public let minLength: Int
        public let maxLength: Int
    }

    /// An enumerated string parameter with its default.
    public struct Choice: Sendable, Codable, Equatable {
        public let values: [String]
        public let `default`: String
    }

    /// An integer parameter's bounds, with an optional default.
    public struct IntegerRange: Sendable, Codable, Equatable {
        public let min: Int64
        public let max: Int64
        public let `default`: Int64?
    }

    /// Bounds on the number of items in a list parameter.
    public struct CountRange: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case minItems = "min_items"
            case maxItems = "max_items"
        }

        public let minItems: Int
        public let maxItems: Int
    }

    /// What a reference image (edit mode) must be.
    public struct ReferenceImageRules: Sendable, Codable, Equatable {
        enum CodingKeys: String, CodingKey {
            case formats
            case minSide = "min_side"
            case minAspectRatio = "min_aspect_ratio"
            case maxAspectRatio = "max_aspect_ratio"
            case maxBytes = "max_bytes"
            case maxPixels = "max_pixels"
        }

        public let formats: [String]
        public let minSide: Int
        public let minAspectRatio: Double
        public let maxAspectRatio: Double
        public let maxBytes: Int
        public let maxPixels: Int
    }

    /// The exact output size for a tier and a fixed ratio (not `auto`), from the model's own table.
    public func pixelSize(tier: String, aspectRatio: String) -> PixelSize? {
        guard let pair = self.pixelSizes[tier]?[aspectRatio], pair.count == 2 else { return nil }
        return PixelSize(width: pair[0], height: pair[1])
    }

    /// The table ratio closest to `width`/`height` (compared on a log scale, so 2:1 and 1:2 are equally far from 1:1).
    public func nearestAspectRatio(width: Int, height: Int, tier: String) -> String? {
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
public struct PixelSize: Sendable, Equatable, Codable {
    public let width: Int
    public let height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}
