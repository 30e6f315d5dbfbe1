import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import MultipartKit
import NIOCore

/// OpenAI's Images API on ImageGate's engine: `POST /v1/images/generations` (JSON) and `POST /v1/images/edits`
/// (multipart). The request is translated into a native one and runs through exactly the same validation, hold,
/// worker, settlement and idempotency; only the shapes differ.
struct OpenAIImagesController<Generations: GenerationUseCases> {
    let generations: Generations
    let links: OutputLinks
    let syncTimeout: Duration
    let body: BodyLimits

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("images/generations", use: self.generations)
        group.post("images/edits", use: self.edits)
    }

    @Sendable func generations(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await GenerationRequest.collect(request, limit: self.body.withoutImages.maxBytes, deadline: self.body.deadline)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw APIError(.invalidJSON("The request body is not valid JSON."))
        }
        guard case .object(let fields) = value else { throw APIError(.invalidJSON("The request body must be a JSON object.")) }
        return try await self.run(fields, references: [], mode: "generate", request: request, context: context)
    }

    @Sendable func edits(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("multipart/form-data"),
            let boundary = Self.boundary(contentType)
        else {
            throw APIError(.invalid("image", "images/edits takes multipart/form-data with one or more 'image' parts."))
        }
        let body = try await GenerationRequest.collect(request, limit: self.body.maxBytes, deadline: self.body.deadline)
        let parts: [FormPart]
        do {
            parts = try FormPart.parse(body, boundary: boundary)
        } catch {
            throw APIError(.invalidJSON("The multipart body could not be parsed."))
        }
        var fields: [String: JSONValue] = [:]
        var images: [String] = []
        for part in parts {
            switch part.name {
            case "image", "image[]":
                let type = part.contentType.flatMap { $0.hasPrefix("image/") ? $0 : nil } ?? "image/png"
                images.append("data:\(type);base64,\(Data(part.body).base64EncodedString())")
            case "mask":
                throw APIError(.invalid("mask", "Masks are not supported by seedream-5-lite; describe the edit in the prompt."))
            case "stream":
                // Form fields are text: "false" is the only value that passes (`true` is refused as unsupported).
                let text = String(decoding: part.body, as: UTF8.self)
                fields["stream"] = ["true": .bool(true), "false": .bool(false)][text] ?? .string(text)
            case "n", "seed", "output_compression", "partial_images":
                let text = String(decoding: part.body, as: UTF8.self)
                fields[part.name] = Int64(text).map(JSONValue.integer) ?? .string(text)
            default:
                fields[part.name] = .string(String(decoding: part.body, as: UTF8.self))
            }
        }
        guard !images.isEmpty else { throw APIError(.invalid("image", "Send at least one 'image' part.")) }
        return try await self.run(fields, references: images, mode: "edit", request: request, context: context)
    }

    /// Translates, creates (waiting for the end) and answers in OpenAI's shape.
    func run(_ fields: [String: JSONValue], references: [String], mode: String, request: Request, context: GatewayRequestContext) async throws
        -> Response
    {
        let (native, responseFormat) = try OpenAIImagesTranslation.translate(
            fields,
            references: references,
            mode: mode,
            catalog: self.generations.catalog
        )
        let created = try await GenerationRequest.create(
            on: self.generations,
            parameters: .fields(native),
            request: request,
            context: context,
            wait: self.syncTimeout,
            names: OpenAIImagesTranslation.names
        )
        let record = created.record
        let id = record.id
        var headers: HTTPFields = [HTTPField.Name("x-imagegate-generation-id")!: id]
        if created.replayed { headers[.idempotentReplayed] = "true" }
        RateLimitHeaders.add(created.rateLimit, to: &headers)
        switch record.status {
        case .completed:
            return try JSONResponse.make(try await self.body(record, responseFormat: responseFormat), headers: headers)
        case .failed:
            throw APIError(
                status: .badGateway,
                code: record.errorCode ?? "generation_failed",
                message: "\(record.errorMessage ?? "The generation failed.") It was refunded in full (generation \(id)).",
                headers: headers
            )
        case .cancelled:
            headers[HTTPField.Name("x-should-retry")!] = "false"
            throw APIError(
                status: .conflict,
                code: "cancelled",
                message: "The generation was cancelled by its owner; the whole hold was returned (generation \(id)).",
                headers: headers
            )
        case .queued, .processing:
            headers[HTTPField.Name("x-should-retry")!] = "false"
            throw APIError(
                status: .gatewayTimeout,
                code: "generation_timeout",
                message:
                    "The generation is still running; fetch it later with GET /v1/generations/\(id). Do not retry: it is billed only if it completes.",
                headers: headers
            )
        }
    }

    struct ImagesResponse: Encodable {
        /// One image, as OpenAI writes it: the field of the requested format only.
        struct Item: Encodable {
            let url: Omittable<String>
            let b64JSON: Omittable<String>

            enum CodingKeys: String, CodingKey {
                case url
                case b64JSON = "b64_json"
            }
        }

        let created: Int64
        let data: [Item]
    }

    func body(_ record: GenerationRecord, responseFormat: String) async throws -> ImagesResponse {
        var items: [ImagesResponse.Item] = []
        for image in record.images {
            if responseFormat == "b64_json" {
                var bytes: [UInt8] = []
                try await self.generations.readOutput(image) { bytes.append(contentsOf: $0.readableBytesView) }
                items.append(.init(url: .omitted, b64JSON: .value(Data(bytes).base64EncodedString())))
            } else {
                let url = self.links.url(outputID: image.outputID, contentType: image.contentType, expiresAt: record.expiresAt ?? 0)
                items.append(.init(url: .value(url), b64JSON: .omitted))
            }
        }
        return ImagesResponse(created: record.createdAt / 1000, data: items)
    }

    static func boundary(_ contentType: String) -> String? {
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == "boundary" { return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        }
        return nil
    }
}

/// One part of a multipart/form-data body, parsed with MultipartKit.
struct FormPart {
    var name = ""
    var contentType: String?
    var body: [UInt8] = []

    static func parse(_ bytes: [UInt8], boundary: String) throws -> [FormPart] {
        let parser = MultipartParser(boundary: boundary)
        var parts: [FormPart] = []
        var current = FormPart()
        parser.onHeader = { field, value in
            switch field.lowercased() {
            case "content-disposition":
                for item in value.split(separator: ";") {
                    let pair = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                    if pair.count == 2, pair[0] == "name" { current.name = pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
                }
            case "content-type":
                current.contentType = value.lowercased()
            default:
                break
            }
        }
        parser.onBody = { buffer in current.body.append(contentsOf: buffer.readableBytesView) }
        parser.onPartComplete = {
            parts.append(current)
            current = FormPart()
        }
        try parser.execute(bytes)
        return parts
    }
}
