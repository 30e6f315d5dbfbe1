import Foundation

/// `/docs`: the API reference, rendered by the server from its own OpenAPI document (the one `GET /openapi.json`
/// serves), so the page and the contract cannot disagree. Built once at start.
struct APIReference: Sendable {
    let title: String
    let version: String
    let intro: [MarkdownBlock]
    let sections: [ReferenceSection]
    let schemas: [ReferenceSchema]

    /// Reads the document; nil when it is not an OpenAPI object (the page then answers as a missing page).
    init?(json: [UInt8]) {
        guard let root = try? JSONSerialization.jsonObject(with: Data(json)) as? [String: Any] else { return nil }
        let document = OpenAPIDocument(root: root)
        let info = root["info"] as? [String: Any] ?? [:]
        self.title = info["title"] as? String ?? "API"
        self.version = info["version"] as? String ?? ""
        self.intro = MarkdownBlock.parse(info["description"] as? String ?? "")
        let operations = document.operations()
        self.schemas = document.schemas()
        let tags = (root["tags"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        self.sections = tags.compactMap { tag in
            let mine = operations.filter { $0.tag == tag }
            guard !mine.isEmpty else { return nil }
            let description = (root["tags"] as? [[String: Any]])?.first { $0["name"] as? String == tag }?["description"] as? String
            return ReferenceSection(
                name: tag,
                anchor: "tag-" + OpenAPIDocument.anchor(tag),
                description: MarkdownBlock.parse(description ?? ""),
                operations: mine
            )
        }
    }
}

/// The operations of one tag.
struct ReferenceSection: Sendable {
    let name: String
    let anchor: String
    let description: [MarkdownBlock]
    let operations: [ReferenceOperation]
}

/// One operation: method and path, what it does, its parameters, body, examples and answers.
struct ReferenceOperation: Sendable {
    let tag: String
    let anchor: String
    let method: String
    let path: String
    let summary: String
    let description: [MarkdownBlock]
    let parameters: [ReferenceField]
    let hasParameters: Bool
    let body: [ReferenceField]
    let hasBody: Bool
    let bodyType: String
    let examples: [ReferenceExample]
    let hasExamples: Bool
    let responses: [ReferenceResponse]
}

/// A parameter or a body field.
struct ReferenceField: Sendable {
    let name: String
    let location: String
    let type: String
    let required: Bool
    let description: [MarkdownBlock]
}

/// A request example: its summary and its JSON.
struct ReferenceExample: Sendable {
    let summary: String
    let json: String
}

/// One status an operation answers with, and the shape of its body.
struct ReferenceResponse: Sendable {
    let status: String
    let description: [MarkdownBlock]
    let schema: String
    let hasSchema: Bool
}

/// A named schema of the document: what a body or an answer holds.
struct ReferenceSchema: Sendable {
    let name: String
    let anchor: String
    let type: String
    let description: [MarkdownBlock]
    let fields: [ReferenceField]
    let hasFields: Bool
}
