import Catalog
import Essentials
import Generation

/// OpenAI's Images API parameters in terms of the native ones: names, sizes, formats, and the OpenAI parameters that
/// have no Seedream meaning. Pure: the OpenAI routes translate with it, and its tests need no server.
enum OpenAIImagesTranslation {
    /// How OpenAI's callers name the native parameters.
    static let names = ParameterNames(["num_images": "n", "aspect_ratio": "size", "image_urls": "image"])

    /// OpenAI parameters with no Seedream meaning: accepted and ignored, but only with the JSON type OpenAI gives them,
    /// so a malformed request is refused here exactly as OpenAI would refuse it.
    static let ignoredFields: [String: IgnoredField] = [
        "quality": .text, "style": .text, "background": .text, "moderation": .text, "safety_identifier": .text, "user": .text,
        "output_compression": .integer(0...100), "partial_images": .integer(0...3),
    ]

    /// The type an ignored OpenAI parameter must still have.
    enum IgnoredField {
        case text
        case integer(ClosedRange<Int64>)

        /// Refuses a value of the wrong type or range, naming the parameter.
        func check(_ value: JSONValue, name: String) throws {
            switch (self, value) {
            case (.text, .string): return
            case (.integer(let range), .integer(let number)) where range.contains(number): return
            case (.text, _): throw APIError(.invalid(name, "\(name) must be a string."))
            case (.integer(let range), _):
                throw APIError(.invalid(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)."))
            }
        }
    }

    /// OpenAI fields → native fields. Unknown fields are refused, as in the native API.
    static func translate(_ fields: [String: JSONValue], references: [String], mode: String, catalog: ModelCatalog) throws -> (
        [String: JSONValue], String
    ) {
        var native: [String: JSONValue] = ["mode": .string(mode)]
        var responseFormat = "url"
        for (name, value) in fields where value != .null {
            switch name {
            case "model", "prompt": native[name] = value
            case "n": native["num_images"] = value
            case "response_format":
                guard case .string(let text) = value, ["url", "b64_json"].contains(text) else {
                    throw APIError(.invalid("response_format", "response_format must be 'url' or 'b64_json'."))
                }
                responseFormat = text
            case "output_format":
                guard case .string(let text) = value, ["png", "jpeg", "webp"].contains(text) else {
                    throw APIError(.invalid("output_format", "output_format must be png, jpeg or webp."))
                }
                // Seedream writes PNG or JPEG; webp is answered with PNG.
                native["output_format"] = .string(text == "jpeg" ? "jpeg" : "png")
            case "size":
                break
            case "stream":
                guard case .bool(let streaming) = value else { throw APIError(.invalid("stream", "stream must be a boolean.")) }
                if streaming { throw APIError(.invalid("stream", "Streaming is not supported for this model.")) }
            case "seed":
                native["seed"] = value
            case "webhook_url":
                // ImageGate's own field (the OpenAI SDK sends it with `extra_body`): the same webhook as the native API.
                native["webhook_url"] = value
            default:
                guard let ignored = Self.ignoredFields[name] else { throw APIError(.invalid(name, "Unknown parameter '\(name)'.")) }
                try ignored.check(value, name: name)
            }
        }
        if case .string(let modelID)? = native["model"], let model = catalog.model(modelID) {
            var sizeText: String?
            if let size = fields["size"], size != .null {
                guard case .string(let text) = size else { throw APIError(.invalid("size", "size must be a string such as '1024x1024' or 'auto'.")) }
                sizeText = text
            }
            guard let mapped = OpenAISize.map(sizeText, model: model) else {
                throw APIError(.invalid("size", "size must be 'auto' or WIDTHxHEIGHT, e.g. '2048x2048' (got '\(sizeText ?? "")')."))
            }
            native["aspect_ratio"] = .string(mapped.aspectRatio)
            native["size"] = .string(mapped.tier)
        }
        if !references.isEmpty { native["image_urls"] = .array(references.map(JSONValue.string)) }
        return (native, responseFormat)
    }
}
