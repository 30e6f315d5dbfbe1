import Essentials
import Foundation
import Imaging

/// A prediction's `input` as Replicate's `bytedance/seedream-*` models read it, checked as their schemas check it
/// (docs: upstreams.md §4, §5), turned into a call for the emulator's engine.
struct ReplicateInput: Sendable {
    /// What the engine makes: the pixel size, the image count, the format, the references.
    let call: ArkCall

    /// A field the schema refuses: Replicate answers 422 `Input validation failed` naming `input.<field>`.
    struct Refusal: Error {
        let field: String
        let type: String
        let description: String
    }

    /// What one Seedream model on Replicate takes.
    struct Schema: Sendable {
        let sizes: [String]
        let maxReferences: Int
        /// `sequential_image_generation` and `max_images` (5 Pro has neither).
        let sequential: Bool
        /// `output_format` (5 Lite and 5 Pro); the others answer JPEG.
        let outputFormat: Bool

        /// By model name: `seedream-5-lite`, `seedream-4.5`, `seedream-4`, `seedream-5-pro`; nil for a model the
        /// emulator does not run (404, as for a model that does not exist).
        static func of(model name: String) -> Schema? {
            switch name {
            case "seedream-5-lite": Schema(sizes: ["2K", "3K"], maxReferences: 14, sequential: true, outputFormat: true)
            case "seedream-4.5": Schema(sizes: ["2K", "4K"], maxReferences: 14, sequential: true, outputFormat: false)
            case "seedream-4": Schema(sizes: ["1K", "2K", "4K", "custom"], maxReferences: 10, sequential: true, outputFormat: false)
            case "seedream-5-pro": Schema(sizes: ["1K", "2K"], maxReferences: 10, sequential: false, outputFormat: true)
            default: nil
            }
        }
    }

    static let ratios = ["match_input_image", "1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9"]

    /// Seedream's pixel sizes per tier and ratio (§4's table, from ComfyUI's presets).
    static let pixels: [String: [String: (Int, Int)]] = [
        "1K": [
            "1:1": (1024, 1024), "3:4": (864, 1152), "4:3": (1152, 864), "16:9": (1312, 736), "9:16": (736, 1312), "2:3": (832, 1248),
            "3:2": (1248, 832), "21:9": (1568, 672),
        ],
        "2K": [
            "1:1": (2048, 2048), "3:4": (1728, 2304), "4:3": (2304, 1728), "16:9": (2848, 1600), "9:16": (1600, 2848), "2:3": (1664, 2496),
            "3:2": (2496, 1664), "21:9": (3136, 1344),
        ],
        "3K": [
            "1:1": (3072, 3072), "3:4": (2592, 3456), "4:3": (3456, 2592), "16:9": (4096, 2304), "9:16": (2304, 4096), "2:3": (2496, 3744),
            "3:2": (3744, 2496), "21:9": (4704, 2016),
        ],
        "4K": [
            "1:1": (4096, 4096), "3:4": (3520, 4704), "4:3": (4704, 3520), "16:9": (5504, 3040), "9:16": (3040, 5504), "2:3": (3328, 4992),
            "3:2": (4992, 3328), "21:9": (6240, 2656),
        ],
    ]

    init(_ input: JSONValue?, model: String, schema: Schema) throws(Refusal) {
        guard case .object(let fields)? = input else {
            throw Refusal(field: "(root)", type: "required", description: "input is required")
        }
        guard let prompt = fields["prompt"]?.stringValue, !prompt.isEmpty else {
            throw Refusal(field: "input.prompt", type: "required", description: "prompt is required")
        }
        let size = try Self.choice(fields["size"], field: "size", values: schema.sizes, default: "2K")
        let ratio = try Self.choice(fields["aspect_ratio"], field: "aspect_ratio", values: Self.ratios, default: "match_input_image")
        let references: [String]
        switch fields["image_input"] {
        case nil, .null?: references = []
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }): references = items.compactMap(\.stringValue)
        default:
            throw Refusal(
                field: "input.image_input",
                type: "invalid_type",
                description: "Invalid type. Expected: array, given: \(fields["image_input"]!.typeName)"
            )
        }
        guard references.count <= schema.maxReferences else {
            throw Refusal(field: "input.image_input", type: "array_max_items", description: "Array must have at most \(schema.maxReferences) items")
        }
        var count = 1
        if schema.sequential {
            let mode = try Self.choice(
                fields["sequential_image_generation"],
                field: "sequential_image_generation",
                values: ["disabled", "auto"],
                default: "disabled"
            )
            let most = fields["max_images"].map { $0.intValue ?? 0 } ?? 1
            guard (1...15).contains(most) else {
                throw Refusal(
                    field: "input.max_images",
                    type: "number_any_of",
                    description: "Must be greater than or equal to 1 and less than or equal to 15"
                )
            }
            if mode == "auto" {
                guard most + references.count <= 15 else {
                    throw Refusal(field: "input.max_images", type: "number_any_of", description: "Total images (input + generated) cannot exceed 15")
                }
                count = most
            }
        }
        let format =
            try schema.outputFormat ? Self.choice(fields["output_format"], field: "output_format", values: ["png", "jpeg"], default: "png") : "jpeg"
        let (width, height) = try Self.dimensions(size: size, ratio: ratio, fields: fields, references: references)
        self.call = ArkCall(
            model: model,
            prompt: prompt,
            width: width,
            height: height,
            count: count,
            format: format,
            responseFormat: "url",
            references: references
        )
    }

    /// A string field that must be one of `values`.
    static func choice(_ value: JSONValue?, field: String, values: [String], default fallback: String) throws(Refusal) -> String {
        guard let value, value != .null else { return fallback }
        guard let text = value.stringValue, values.contains(text) else {
            throw Refusal(
                field: "input.\(field)",
                type: "enum",
                description: "\(field) must be one of the following: " + values.map { "\"\($0)\"" }.joined(separator: ", ")
            )
        }
        return text
    }

    /// The pixel size: the tier at the ratio asked, the first reference's nearest ratio for `match_input_image`
    /// (1:1 without one), or `width` and `height` for Seedream 4's `custom`.
    static func dimensions(size: String, ratio: String, fields: [String: JSONValue], references: [String]) throws(Refusal) -> (Int, Int) {
        if size == "custom" {
            let width = fields["width"]?.intValue ?? 2048
            let height = fields["height"]?.intValue ?? 2048
            guard (1024...4096).contains(width), (1024...4096).contains(height) else {
                throw Refusal(
                    field: "input.width",
                    type: "number_any_of",
                    description: "Must be greater than or equal to 1024 and less than or equal to 4096"
                )
            }
            return (width, height)
        }
        let table = Self.pixels[size] ?? Self.pixels["2K"]!
        if ratio != "match_input_image" { return table[ratio] ?? table["1:1"]! }
        guard let first = references.first, let probe = Self.probe(first) else { return table["1:1"]! }
        let wanted = Double(probe.width) / Double(probe.height)
        let nearest = table.min { abs(Double($0.value.0) / Double($0.value.1) - wanted) < abs(Double($1.value.0) / Double($1.value.1) - wanted) }
        return nearest?.value ?? table["1:1"]!
    }

    /// The size of a reference given as a data URI (a URL is not fetched: its ratio is taken as 1:1).
    static func probe(_ reference: String) -> ImageProbe? {
        guard reference.hasPrefix("data:"), let comma = reference.firstIndex(of: ","),
            let bytes = Data(base64Encoded: String(reference[reference.index(after: comma)...]))
        else { return nil }
        return try? ImageProbe.inspect(Array(bytes), decodePixels: false)
    }
}
