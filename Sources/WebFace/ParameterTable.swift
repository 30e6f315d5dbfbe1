import Catalog

/// One row of a model page's parameter table: what `POST /v1/generate` accepts, written from the very rules the
/// validator enforces (the catalog's `parameters`), so the page cannot say something the API does not do.
struct ParameterRow: Sendable, Equatable {
    let name: String
    let type: String
    let defaultValue: String
    let notes: String
}

/// The parameter table of one mode of a model.
enum ParameterTable {
    static func rows(for model: ModelSpec, mode: String) -> [ParameterRow] {
        let rules = model.parameters
        var rows = [
            ParameterRow(name: "model", type: "string", defaultValue: "", notes: "Required. \(model.id)."),
            // Each mode's table states that mode's own requirement: left out, `mode` is `generate`, so an edit must
            // name itself.
            mode == "generate"
                ? ParameterRow(name: "mode", type: "string", defaultValue: "generate", notes: "Optional: left out, the request generates.")
                : ParameterRow(name: "mode", type: "string", defaultValue: "", notes: "Required: \"\(mode)\" (left out, the request generates)."),
            ParameterRow(
                name: "prompt",
                type: "string",
                defaultValue: "",
                notes: "Required. \(rules.prompt.minLength) to \(rules.prompt.maxLength) characters."
            ),
            Self.choice("aspect_ratio", rules.aspectRatio),
            Self.choice("size", rules.size),
            Self.integer("num_images", rules.numImages, note: "How many images; each is billed."),
            Self.integer("seed", rules.seed, note: "The same seed and prompt give the same image."),
            Self.choice("output_format", rules.outputFormat),
        ]
        if mode == "edit" {
            let images = model.referenceImages
            let megapixels = images.maxPixels / 1_000_000
            rows.append(
                ParameterRow(
                    name: "image_urls",
                    type: "array of strings",
                    defaultValue: "",
                    notes: "Required. \(rules.imageUrls.minItems) to \(rules.imageUrls.maxItems) reference images as https URLs or data: URIs: "
                        + "\(images.formats.map { $0.uppercased() }.joined(separator: ", ")), at most \(images.maxBytes / 1_000_000) MB "
                        + "and \(megapixels) megapixels, each side at least \(images.minSide) px."
                )
            )
        }
        rows.append(
            ParameterRow(
                name: "webhook_url",
                type: "string",
                defaultValue: "",
                notes: "Optional. A public https URL told when the generation ends (signed per Standard Webhooks)."
            )
        )
        return rows
    }

    static func choice(_ name: String, _ rule: ModelSpec.Choice) -> ParameterRow {
        ParameterRow(name: name, type: "string", defaultValue: rule.default, notes: "One of: \(rule.values.joined(separator: ", ")).")
    }

    static func integer(_ name: String, _ rule: ModelSpec.IntegerRange, note: String) -> ParameterRow {
        let optional = rule.default == nil ? "Optional. " : ""
        return ParameterRow(
            name: name,
            type: "integer",
            defaultValue: rule.default.map(String.init) ?? "",
            notes: "\(optional)Range: \(rule.min)–\(rule.max). \(note)"
        )
    }
}
