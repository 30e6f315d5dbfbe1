import Foundation

/// A catalog that decodes but cannot be served: the field (as a path into the file) and the reason.
package struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    package let field: String
    package let reason: String

    package init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    package var description: String { "\(self.field): \(self.reason)" }
}

/// The checks a decoded catalog must pass before a server starts on it: what JSON types cannot say (unique ids,
/// defaults among the values, a pixel size for every size, a usable route). Refusing at start is the point: a
/// mistake found by the first customer's request would be found after money moved.
extension ModelCatalog {
    package func validate() throws(CatalogError) {
        guard !self.models.isEmpty else { throw CatalogError(field: "models", reason: "must list at least one model") }
        var seen: Set<String> = []
        for (index, model) in self.models.enumerated() {
            let place = "models[\(index)]"
            guard !model.id.isEmpty else { throw CatalogError(field: "\(place).id", reason: "must not be empty") }
            guard seen.insert(model.id).inserted else { throw CatalogError(field: "\(place).id", reason: "'\(model.id)' is listed twice") }
            try Self.validate(model, at: place)
        }
    }

    static func validate(_ model: ModelSpec, at place: String) throws(CatalogError) {
        guard model.pricePerImageMicros >= 0 else { throw CatalogError(field: "\(place).price_per_image_micros", reason: "must not be negative") }
        guard model.retailPerImageMicros >= 0 else { throw CatalogError(field: "\(place).retail_per_image_micros", reason: "must not be negative") }
        for mode in model.modes where !["generate", "edit"].contains(mode) {
            throw CatalogError(field: "\(place).modes", reason: "'\(mode)' is not a mode (generate, edit)")
        }
        let parameters = model.parameters
        for (name, choice) in [("aspect_ratio", parameters.aspectRatio), ("size", parameters.size), ("output_format", parameters.outputFormat)] {
            guard choice.values.contains(choice.default) else {
                throw CatalogError(field: "\(place).parameters.\(name).default", reason: "'\(choice.default)' is not one of its values")
            }
        }
        for format in parameters.outputFormat.values where !["png", "jpeg", "webp"].contains(format) {
            throw CatalogError(field: "\(place).parameters.output_format.values", reason: "'\(format)' is not an output format (png, jpeg, webp)")
        }
        let count = parameters.numImages
        guard count.min >= 1, count.min <= count.max, (count.default ?? count.min) >= count.min, (count.default ?? count.min) <= count.max else {
            throw CatalogError(field: "\(place).parameters.num_images", reason: "needs 1 ≤ min ≤ default ≤ max")
        }
        for size in parameters.size.values {
            for ratio in parameters.aspectRatio.values where ratio != "auto" && model.pixelSize(tier: size, aspectRatio: ratio) == nil {
                throw CatalogError(field: "\(place).pixel_sizes.\(size)", reason: "has no [width, height] for aspect ratio \(ratio)")
            }
        }
        let length = parameters.prompt
        for (index, prompt) in (model.examplePrompts ?? []).enumerated() where !(length.minLength...length.maxLength).contains(prompt.count) {
            throw CatalogError(
                field: "\(place).example_prompts[\(index)]",
                reason: "must be \(length.minLength) to \(length.maxLength) characters, as a prompt"
            )
        }
        guard !model.routes.isEmpty else { throw CatalogError(field: "\(place).routes", reason: "must list at least one route") }
        var names: Set<String> = []
        for (index, route) in model.routes.enumerated() {
            try Self.validate(route, of: model, at: "\(place).routes[\(index)]")
            guard names.insert(route.name).inserted else {
                throw CatalogError(
                    field: "\(place).routes[\(index)].id",
                    reason: "'\(route.name)' names two routes of this model: give each route of one provider an id of its own"
                )
            }
        }
    }

    static func validate(_ route: ModelRoute, of model: ModelSpec, at place: String) throws(CatalogError) {
        let sizes = model.parameters.size.values
        switch route.provider {
        case .fal:
            guard route.generateEndpoint?.isEmpty == false else {
                throw CatalogError(field: "\(place).generate_endpoint", reason: "a fal route needs one")
            }
            if model.modes.contains("edit"), route.editEndpoint?.isEmpty != false {
                throw CatalogError(field: "\(place).edit_endpoint", reason: "a fal route of a model with mode edit needs one")
            }
        case .ark, .replicate, .openai:
            guard let upstream = route.model, !upstream.isEmpty else {
                throw CatalogError(field: "\(place).model", reason: "a \(route.provider) route needs the upstream's model id")
            }
            // Replicate's id goes into the URL path the key is sent to: exactly `owner/name`, nothing else.
            if route.provider == .replicate, !Self.isReplicateModel(upstream) {
                throw CatalogError(field: "\(place).model", reason: "a replicate route names its model as owner/name (a-z, 0-9, '-', '_', '.')")
            }
        case .local:
            break
        }
        for micros in route.cost.all where micros < 0 {
            throw CatalogError(field: "\(place).cost_per_image_micros", reason: "must not be negative")
        }
        if case .perSize(let map) = route.cost {
            for size in sizes where map[size] == nil && route.abilities?.sizes?.contains(size) != false {
                throw CatalogError(field: "\(place).cost_per_image_micros", reason: "has no price for size \(size)")
            }
            for size in map.keys.sorted() where !sizes.contains(size) {
                throw CatalogError(field: "\(place).cost_per_image_micros.\(size)", reason: "is not a size of the model")
            }
        }
        for (name, url) in [("base_url", route.baseURL)] {
            guard let url else { continue }
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw CatalogError(field: "\(place).\(name)", reason: "must be an http(s) URL")
            }
        }
        for (name, variable) in [("api_key_env", route.apiKeyEnv), ("base_url_env", route.baseURLEnv)] {
            guard let variable else { continue }
            guard Self.isVariableName(variable) else {
                throw CatalogError(field: "\(place).\(name)", reason: "must name an environment variable (A-Z, 0-9, _), never hold a key")
            }
        }
        if let format = route.responseFormat, !["url", "b64_json"].contains(format) {
            throw CatalogError(field: "\(place).response_format", reason: "must be url or b64_json")
        }
        if let id = route.id, id.isEmpty || id.contains(where: { !($0.isLetter || $0.isNumber || "-_.".contains($0)) }) {
            throw CatalogError(field: "\(place).id", reason: "must be letters, digits, '-', '_' or '.'")
        }
        if let weight = route.weight, weight < 0 { throw CatalogError(field: "\(place).weight", reason: "must not be negative") }
        if let timeout = route.timeoutSeconds, timeout <= 0 { throw CatalogError(field: "\(place).timeout_s", reason: "must be positive") }
        for (name, seconds) in [("queue_timeout_s", route.queueTimeoutSeconds), ("deadline_s", route.deadlineSeconds)] {
            guard let seconds else { continue }
            guard seconds > 0 else { throw CatalogError(field: "\(place).\(name)", reason: "must be positive") }
            guard [.fal, .replicate].contains(route.provider) else {
                throw CatalogError(field: "\(place).\(name)", reason: "only queue routes (fal, replicate) have one")
            }
        }
        if let most = route.maxConcurrency, most <= 0 {
            throw CatalogError(field: "\(place).max_concurrency", reason: "must be positive")
        }
        if let abilities = route.abilities {
            if let routeSizes = abilities.sizes {
                guard !routeSizes.isEmpty else { throw CatalogError(field: "\(place).abilities.sizes", reason: "must not be empty") }
                for size in routeSizes where !sizes.contains(size) {
                    throw CatalogError(field: "\(place).abilities.sizes", reason: "'\(size)' is not a size of the model")
                }
            }
            if let most = abilities.maxReferences, most < 0 {
                throw CatalogError(field: "\(place).abilities.max_references", reason: "must not be negative")
            }
            if let most = abilities.maxTotalImages, most < 1 {
                throw CatalogError(field: "\(place).abilities.max_total_images", reason: "must be at least 1")
            }
            for format in abilities.outputFormats ?? [] where !model.parameters.outputFormat.values.contains(format) {
                throw CatalogError(field: "\(place).abilities.output_formats", reason: "'\(format)' is not an output format of the model")
            }
            if let pixels = abilities.minPixels, pixels < 0 {
                throw CatalogError(field: "\(place).abilities.min_pixels", reason: "must not be negative")
            }
        }
    }

    /// A POSIX environment variable name, in capitals as is the custom for keys.
    static func isVariableName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || ("A"..."Z").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }

    /// `owner/name`, each part lowercase letters, digits, `-`, `_` or `.` (and not `.` or `..`).
    static func isReplicateModel(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2
            && parts.allSatisfy { part in
                !part.isEmpty && part != "." && part != ".."
                    && part.unicodeScalars.allSatisfy { "-_.".unicodeScalars.contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
            }
    }
}
