import Foundation

/// The parts of an OpenAPI 3.1 document the reference page reads, with `$ref`s followed inside the document.
struct OpenAPIDocument {
    let root: [String: Any]

    static let methods = ["get", "head", "post", "put", "patch", "delete"]

    /// `Generations` → `generations`: an id for a page anchor.
    static func anchor(_ text: String) -> String {
        String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
    }

    /// The object a `{"$ref": "#/components/…"}` names (followed until it is no reference), or the object itself.
    func resolve(_ node: [String: Any]) -> [String: Any] {
        var node = node
        for _ in 0..<8 {
            guard let reference = node["$ref"] as? String, reference.hasPrefix("#/") else { return node }
            var target: Any? = self.root
            for part in reference.dropFirst(2).split(separator: "/") { target = (target as? [String: Any])?[String(part)] }
            guard let found = target as? [String: Any] else { return node }
            node = found
        }
        return node
    }

    /// Every operation, by path then method, each under its first tag.
    func operations() -> [ReferenceOperation] {
        let paths = self.root["paths"] as? [String: Any] ?? [:]
        return paths.keys.sorted().flatMap { path -> [ReferenceOperation] in
            let item = paths[path] as? [String: Any] ?? [:]
            let shared = item["parameters"] as? [[String: Any]] ?? []
            return Self.methods.compactMap { method in
                (item[method] as? [String: Any]).map { self.operation($0, method: method, path: path, shared: shared) }
            }
        }
    }

    func operation(_ node: [String: Any], method: String, path: String, shared: [[String: Any]]) -> ReferenceOperation {
        let parameters = (shared + (node["parameters"] as? [[String: Any]] ?? [])).map(self.resolve).map { parameter in
            ReferenceField(
                name: parameter["name"] as? String ?? "",
                location: parameter["in"] as? String ?? "",
                type: self.typeText(parameter["schema"] as? [String: Any] ?? [:]),
                required: parameter["required"] as? Bool ?? false,
                description: MarkdownBlock.parse(parameter["description"] as? String ?? "")
            )
        }
        let content = (node["requestBody"] as? [String: Any]).map(self.resolve)?["content"] as? [String: Any] ?? [:]
        let bodyType = content.keys.sorted().first { $0 == "application/json" } ?? content.keys.sorted().first ?? ""
        let media = content[bodyType] as? [String: Any] ?? [:]
        let body = self.fields(of: media["schema"] as? [String: Any] ?? [:])
        let examples = self.examples(media)
        let responses = (node["responses"] as? [String: Any] ?? [:]).keys.sorted().map { status in
            let response = self.resolve((node["responses"] as? [String: Any])?[status] as? [String: Any] ?? [:])
            let content = response["content"] as? [String: Any] ?? [:]
            let media = content["application/json"] ?? content.keys.sorted().first.flatMap { content[$0] }
            let schema = ((media as? [String: Any])?["schema"] as? [String: Any]).map(self.typeText) ?? ""
            return ReferenceResponse(
                status: status,
                description: MarkdownBlock.parse(response["description"] as? String ?? ""),
                schema: schema,
                hasSchema: !schema.isEmpty
            )
        }
        let method = method.uppercased()
        let id = node["operationId"] as? String ?? "\(method) \(path)"
        return ReferenceOperation(
            tag: (node["tags"] as? [String])?.first ?? "",
            anchor: "op-" + Self.anchor(id),
            method: method,
            path: path,
            summary: node["summary"] as? String ?? "",
            description: MarkdownBlock.parse(node["description"] as? String ?? ""),
            parameters: parameters,
            hasParameters: !parameters.isEmpty,
            body: body,
            hasBody: !body.isEmpty,
            bodyType: bodyType,
            examples: examples,
            hasExamples: !examples.isEmpty,
            responses: responses
        )
    }

    /// The fields of a body: an object's properties, or those of every variant of a `oneOf` / `allOf` / `anyOf`
    /// (required when every variant requires it; a field the variants type differently says each one's).
    func fields(of schema: [String: Any]) -> [ReferenceField] {
        let schema = self.resolve(schema)
        let variants = ["oneOf", "allOf", "anyOf"].flatMap { schema[$0] as? [[String: Any]] ?? [] }
        let shapes = (variants.isEmpty ? [schema] : variants).map { (name: self.typeText($0), shape: self.resolve($0)) }
        var names: [String] = []
        var entries: [String: [(variant: String, property: [String: Any])]] = [:]
        for (variant, shape) in shapes {
            let own = shape["properties"] as? [String: Any] ?? [:]
            for name in own.keys.sorted() {
                if entries[name] == nil { names.append(name) }
                entries[name, default: []].append((variant, own[name] as? [String: Any] ?? [:]))
            }
        }
        return names.map { name in
            let found = entries[name] ?? []
            let required = shapes.allSatisfy { ($0.shape["required"] as? [String] ?? []).contains(name) }
            let described = found.map { entry in
                (variant: entry.variant, type: self.typeText(entry.property), text: self.description(of: entry.property))
            }
            let alike = Set(described.map { "\($0.type)\u{0}\($0.text)" }).count == 1
            let type = alike ? described[0].type : described.map { "\($0.type) (\($0.variant))" }.joined(separator: "; ")
            let text = alike ? described[0].text : described.map { "\($0.variant): \($0.text)" }.joined(separator: "\n\n")
            return ReferenceField(name: name, location: "body", type: type, required: required, description: MarkdownBlock.parse(text))
        }
    }

    func description(of property: [String: Any]) -> String {
        property["description"] as? String ?? self.resolve(property)["description"] as? String ?? ""
    }

    /// "string", "integer", "GenerationImage", "array of string", "png, jpeg or webp".
    func typeText(_ schema: [String: Any]) -> String {
        if let reference = schema["$ref"] as? String { return String(reference.split(separator: "/").last ?? "") }
        if let parts = schema["allOf"] as? [[String: Any]] {
            // An error answer: the shared shape, narrowed to its codes.
            let names = parts.compactMap { $0["$ref"] as? String }.map { String($0.split(separator: "/").last ?? "") }
            let codes = parts.compactMap { (($0["properties"] as? [String: Any])?["code"] as? [String: Any])?["enum"] as? [Any] }.flatMap { $0 }
            return names.joined(separator: " + ") + (codes.isEmpty ? "" : " (code: \(codes.map { "\($0)" }.joined(separator: ", ")))")
        }
        if let values = schema["enum"] as? [Any] {
            let words = values.map { $0 is NSNull ? "null" : "\($0)" }
            return words.count > 1 ? words.dropLast().joined(separator: ", ") + " or " + words.last! : words.joined()
        }
        let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        let named = types.map { type in
            type == "array" ? "array of " + self.typeText(schema["items"] as? [String: Any] ?? [:]) : type
        }
        if named.isEmpty, let variants = schema["oneOf"] as? [[String: Any]] ?? schema["anyOf"] as? [[String: Any]] {
            return variants.map(self.typeText).joined(separator: " or ")
        }
        return named.joined(separator: " or ")
    }

    /// Every named schema of `components`, with its fields.
    func schemas() -> [ReferenceSchema] {
        let all = (self.root["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        return all.keys.sorted().map { name in
            let schema = all[name] as? [String: Any] ?? [:]
            let fields = self.fields(of: schema)
            return ReferenceSchema(
                name: name,
                anchor: "schema-" + Self.anchor(name),
                type: fields.isEmpty ? self.typeText(schema) : "object",
                description: MarkdownBlock.parse(schema["description"] as? String ?? ""),
                fields: fields,
                hasFields: !fields.isEmpty
            )
        }
    }

    /// A body's examples, by name, as pretty JSON.
    func examples(_ media: [String: Any]) -> [ReferenceExample] {
        var found: [ReferenceExample] = []
        if let example = media["example"] { found.append(ReferenceExample(summary: "Example", json: Self.json(example))) }
        let named = media["examples"] as? [String: Any] ?? [:]
        for name in named.keys.sorted() {
            let example = self.resolve(named[name] as? [String: Any] ?? [:])
            guard let value = example["value"] else { continue }
            found.append(ReferenceExample(summary: example["summary"] as? String ?? name, json: Self.json(value)))
        }
        return found
    }

    static func json(_ value: Any) -> String {
        guard JSONSerialization.isValidJSONObject(value),
            let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }
}
