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
struct OpenAIImagesController {
    let service: GenerationService
    let blobs: any BlobStore
    let links: OutputLinks
    let syncTimeout: Duration
    let maxBodyBytes: Int

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("images/generations", use: self.generations)
        group.post("images/edits", use: self.edits)
    }

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

    @Sendable func generations(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await GenerationController.collect(request, limit: self.maxBodyBytes)
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
        let body = try await GenerationController.collect(request, limit: self.maxBodyBytes)
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

    /// Translates, submits, waits and answers in OpenAI's shape.
    func run(_ fields: [String: JSONValue], references: [String], mode: String, request: Request, context: GatewayRequestContext) async throws
        -> Response
    {
        let identity = try context.requireIdentity()
        let (native, responseFormat) = try self.translate(fields, references: references, mode: mode)
        let (parameters, model): (GenerateParameters, ModelSpec)
        do throws(RequestError) {
            (parameters, model) = try self.service.validator.validate(fields: native)
        } catch {
            throw APIError(Self.openAIParam(error))
        }
        let submission: GenerationService.Submission
        do {
            submission = try await self.service.submit(
                parameters,
                model: model,
                accountID: identity.accountID,
                apiKeyID: identity.keyID,
                idempotencyKey: try GenerationController.idempotencyKey(request),
                logger: context.logger
            )
        } catch let error as RequestError {
            throw APIError(Self.openAIParam(error))
        }
        let id = submission.record.id
        guard let record = try await self.service.waitForEnd(id, timeout: self.syncTimeout) else { throw APIError.notFound() }
        var headers: HTTPFields = [HTTPField.Name("x-imagegate-generation-id")!: id]
        if submission.replayed { headers[.idempotentReplayed] = "true" }
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

    /// OpenAI fields → native fields. Unknown fields are refused, as in the native API.
    func translate(_ fields: [String: JSONValue], references: [String], mode: String) throws -> ([String: JSONValue], String) {
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
            default:
                guard let ignored = Self.ignoredFields[name] else { throw APIError(.invalid(name, "Unknown parameter '\(name)'.")) }
                try ignored.check(value, name: name)
            }
        }
        if case .string(let modelID)? = native["model"], let model = self.service.catalog.model(modelID) {
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

    struct ImagesResponse: Encodable {
        struct Item: Encodable {
            let url: String?
            let b64JSON: String?
            let revisedPrompt: String?

            enum CodingKeys: String, CodingKey {
                case url
                case b64JSON = "b64_json"
                case revisedPrompt = "revised_prompt"
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
                guard let output = try await self.service.outputs.get(id: image.outputID) else { continue }
                try await self.blobs.read(key: output.blobKey) { bytes.append(contentsOf: $0.readableBytesView) }
                items.append(.init(url: nil, b64JSON: Data(bytes).base64EncodedString(), revisedPrompt: nil))
            } else {
                let url = self.links.url(outputID: image.outputID, contentType: image.contentType, expiresAt: record.expiresAt ?? 0)
                items.append(.init(url: url, b64JSON: nil, revisedPrompt: nil))
            }
        }
        return ImagesResponse(created: record.createdAt / 1000, data: items)
    }

    /// Names parameters the way an OpenAI caller wrote them.
    static func openAIParam(_ error: RequestError) -> RequestError {
        let renamed: String? =
            switch error.param {
            case "num_images": "n"
            case "aspect_ratio": "size"
            case let param? where param.hasPrefix("image_urls"): "image"
            default: error.param
            }
        let message = error.message.replacingOccurrences(of: "num_images", with: "n").replacingOccurrences(of: "image_urls", with: "image")
        return RequestError(status: error.status, code: error.code, message: message, param: renamed, retryAfterSeconds: error.retryAfterSeconds)
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
