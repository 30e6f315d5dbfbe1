import Catalog
import Essentials
import Foundation
import Imaging
import Providers
import Storage

/// Checks a `POST /v1/generate` body against the catalog and turns it into `GenerateParameters`.
///
/// Strict on purpose: an unknown field (a typo such as `num_image`) or a value of the wrong JSON type is an error
/// naming the parameter, never a silent default that would bill the user for something they did not ask for.
package struct GenerateRequestValidator: Sendable {
    package let catalog: ModelCatalog

    /// The fields `POST /v1/generate` accepts.
    package static let knownFields: Set<String> = [
        "model", "mode", "prompt", "aspect_ratio", "size", "num_images", "seed", "output_format", "image_urls",
        "webhook_url",
    ]

    package init(catalog: ModelCatalog) {
        self.catalog = catalog
    }

    /// Parses and validates a raw body.
    package func validate(body: [UInt8], names: ParameterNames = .native) throws(RequestError) -> (GenerateParameters, ModelSpec) {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw .invalidJSON("The request body is not valid JSON.")
        }
        guard case .object(let fields) = value else {
            throw .invalidJSON("The request body must be a JSON object.")
        }
        return try self.validate(fields: fields, names: names)
    }

    /// Validates an already-decoded JSON object. Refusals name parameters as `names` says the caller calls them.
    package func validate(fields: [String: JSONValue], names: ParameterNames = .native) throws(RequestError) -> (GenerateParameters, ModelSpec) {
        for name in fields.keys.sorted() where !Self.knownFields.contains(name) {
            let hint = Self.closest(to: name, in: Self.knownFields).map { " Did you mean '\($0)'?" } ?? ""
            throw .invalid(name, "Unknown parameter '\(name)'.\(hint)")
        }
        let present = fields.filter { $0.value != .null }

        guard let modelValue = present["model"] else {
            throw .invalid(names["model"], "\(names["model"]) is required (for example \"seedream-5-lite\").")
        }
        let modelID = try Self.string(modelValue, names["model"])
        guard let model = self.catalog.model(modelID) else { throw .modelNotFound(modelID) }
        let rules = model.parameters

        let modeName = names["mode"]
        let modeText = try present["mode"].map { v throws(RequestError) in try Self.string(v, modeName) } ?? "generate"
        guard let mode = GenerationMode(rawValue: modeText), model.modes.contains(modeText) else {
            throw .invalid(modeName, "\(modeName) must be one of: \(model.modes.joined(separator: ", ")).")
        }

        let promptName = names["prompt"]
        guard let promptValue = present["prompt"] else { throw .invalid(promptName, "\(promptName) is required.") }
        let prompt = try Self.string(promptValue, promptName)
        let promptLength = prompt.count
        guard prompt.contains(where: { !$0.isWhitespace }), promptLength >= rules.prompt.minLength else {
            throw .invalid(promptName, "\(promptName) must not be empty.")
        }
        guard promptLength <= rules.prompt.maxLength else {
            throw .invalid(promptName, "\(promptName) must be at most \(rules.prompt.maxLength) characters (got \(promptLength)).")
        }

        let aspectRatio = try Self.choice(present["aspect_ratio"], names["aspect_ratio"], rules.aspectRatio)
        let size = try Self.choice(present["size"], names["size"], rules.size)
        let numImages = try Self.integer(present["num_images"], names["num_images"], rules.numImages) ?? rules.numImages.default ?? 1
        let seed = try Self.integer(present["seed"], names["seed"], rules.seed)
        let formatText = try Self.choice(present["output_format"], names["output_format"], rules.outputFormat)
        guard let outputFormat = ImageFormat(rawValue: formatText) else {
            throw .invalid(names["output_format"], "Unsupported \(names["output_format"]).")
        }

        let imageURLs = try Self.imageURLs(present["image_urls"], name: names["image_urls"], mode: mode, rules: rules.imageUrls)

        let webhookURL = try present["webhook_url"].map { value throws(RequestError) in try Self.webhookURL(value, names["webhook_url"]) }

        let parameters = GenerateParameters(
            model: model.id,
            mode: mode,
            prompt: prompt,
            aspectRatio: aspectRatio,
            size: size,
            numImages: Int(numImages),
            seed: seed,
            outputFormat: outputFormat,
            imageURLs: imageURLs,
            webhookURL: webhookURL
        )
        return (parameters, model)
    }

    // MARK: - Field rules

    static func string(_ value: JSONValue, _ name: String) throws(RequestError) -> String {
        guard case .string(let text) = value else { throw .invalid(name, "\(name) must be a string, got \(value.typeName).") }
        guard !text.containsNUL else { throw .invalid(name, "\(name) must not contain NUL characters (U+0000).") }
        return text
    }

    static func choice(_ value: JSONValue?, _ name: String, _ rule: ModelSpec.Choice) throws(RequestError) -> String {
        guard let value else { return rule.default }
        let text = try Self.string(value, name)
        guard rule.values.contains(text) else {
            throw .invalid(name, "\(name) must be one of: \(rule.values.joined(separator: ", ")) (got \"\(text)\").")
        }
        return text
    }

    static func integer(_ value: JSONValue?, _ name: String, _ rule: ModelSpec.IntegerRange) throws(RequestError) -> Int64? {
        guard let value else { return nil }
        let number: Int64
        switch value {
        case .integer(let n): number = n
        case .number(let d) where d.rounded() == d && abs(d) < 9e15: number = Int64(d)
        default: throw .invalid(name, "\(name) must be an integer from \(rule.min) to \(rule.max), got \(value.typeName).")
        }
        guard number >= rule.min && number <= rule.max else {
            throw .invalid(name, "\(name) must be from \(rule.min) to \(rule.max) (got \(number)).")
        }
        return number
    }

    static func imageURLs(_ value: JSONValue?, name list: String, mode: GenerationMode, rules: ModelSpec.CountRange) throws(RequestError) -> [String]
    {
        guard mode == .edit else {
            if value != nil { throw .invalid(list, "\(list) is only accepted with mode \"edit\".") }
            return []
        }
        guard let value else { throw .invalid(list, "\(list) is required in edit mode (1 to \(rules.maxItems) images).") }
        guard case .array(let items) = value else { throw .invalid(list, "\(list) must be an array of strings, got \(value.typeName).") }
        guard items.count >= rules.minItems && items.count <= rules.maxItems else {
            throw .invalid(list, "\(list) must hold \(rules.minItems) to \(rules.maxItems) images (got \(items.count)).")
        }
        var urls: [String] = []
        for (index, item) in items.enumerated() {
            let name = "\(list)[\(index)]"
            let text = try Self.string(item, name)
            guard ReferenceSource(text) != nil else {
                throw .invalid(name, "\(name) must be an http(s) URL or a data:image/...;base64, URI.")
            }
            urls.append(text)
        }
        return urls
    }

    /// A webhook target: an absolute http(s) URL with a host and no credentials (the URL is shown back in the
    /// generation, so a password in it would leak), at most 2,048 characters. Where it points is checked later, by
    /// the address policy, before any money is held.
    static func webhookURL(_ value: JSONValue, _ name: String) throws(RequestError) -> String {
        let text = try Self.string(value, name)
        guard text.utf8.count <= 2048, let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else {
            throw .invalid(name, "\(name) must be an absolute http(s) URL of at most 2048 characters.")
        }
        guard components.user == nil && components.password == nil else {
            throw .invalid(name, "\(name) must not carry credentials; authenticate the webhook by its signature.")
        }
        return text
    }

    /// The known field within two edits of `name`, to suggest in the error.
    static func closest(to name: String, in candidates: Set<String>) -> String? {
        var best: (name: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = Self.editDistance(name, candidate)
            if distance <= 2 && distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
        }
        return best?.name
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                let insertionOrDeletion = min(previous[j], current[j - 1]) + 1
                current[j] = min(substitution, insertionOrDeletion)
            }
            previous = current
        }
        return previous[b.count]
    }
}
