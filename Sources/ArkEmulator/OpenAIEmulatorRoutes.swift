import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `imagegate openai-emulator`: an OpenAI-compatible image server (`POST /v1/images/generations`, JSON, and
/// `POST /v1/images/edits`, multipart), on the same engine, knobs and counters as the Ark emulator, with OpenAI's
/// error envelope `{"error": {"message", "type", "param", "code"}}`.
struct OpenAIEmulatorRoutes: Sendable {
    let state: ArkState
    let configuration: ArkEmulatorConfiguration

    func register(on router: Router<BasicRequestContext>) {
        ArkEmulatorRoutes.registerCounterAndFiles(self.state, on: router)
        router.post("/v1/images/generations") { request, _ in try await self.handle(request, edit: false) }
        router.post("/v1/images/edits") { request, _ in try await self.handle(request, edit: true) }
    }

    func handle(_ request: Request, edit: Bool) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7,
            self.configuration.requiredKey.map({ header == "Bearer \($0)" }) ?? true
        else {
            return Self.error(401, "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key")
        }
        let body = Array((try await request.body.collect(upTo: 64 << 20)).readableBytesView)
        guard await self.state.admit() else {
            return Self.error(
                429,
                "Rate limit reached for images per minute. Please try again later.",
                type: "requests",
                code: "rate_limit_exceeded",
                retryAfter: self.configuration.retryAfterSeconds
            )
        }
        let call: ArkCall
        switch Self.read(body, contentType: request.headers[.contentType] ?? "", edit: edit) {
        case .success(let read): call = read
        case .failure(let refusal):
            await self.state.countInvalid()
            return Self.error(400, refusal.message, type: "invalid_request_error", param: refusal.param, code: refusal.code)
        }
        if await self.state.failsWhole() {
            switch self.configuration.failType {
            case .contentPolicy, .invalidParameter:
                return Self.error(
                    400,
                    "Your request was rejected by the safety system.",
                    type: "image_generation_user_error",
                    code: "moderation_blocked"
                )
            case .authentication: return Self.error(401, "Incorrect API key provided.", type: "invalid_request_error", code: "invalid_api_key")
            case .modelNotFound: return Self.error(404, "The model does not exist.", type: "invalid_request_error", code: "model_not_found")
            case .overloaded: return Self.error(503, "The engine is currently overloaded.", type: "server_error", code: "overloaded", retryAfter: 1)
            case .internalError:
                return Self.error(500, "The server had an error processing your request.", type: "server_error", code: "internal_error")
            }
        }
        if self.configuration.latencyMillis > 0 { try await Task.sleep(for: .milliseconds(self.configuration.latencyMillis)) }
        let id = ArkEmulatorRoutes.requestID()
        let slots = await self.state.run(call, id: id)
        if await self.state.losesAnswer() {
            return Self.error(500, "The server had an error processing your request.", type: "server_error", code: "internal_error")
        }
        let data: [JSONValue] = slots.compactMap { slot in
            guard let image = slot else { return nil }
            if call.responseFormat == "b64_json" { return .object(["b64_json": .string(Data(image.bytes).base64EncodedString())]) }
            return .object(["url": .string("\(self.configuration.baseURL)/files/\(image.name)")])
        }
        let answer: JSONValue = .object(["created": .integer(Int64(Date().timeIntervalSince1970)), "data": .array(data)])
        return ArkEmulatorRoutes.json(.ok, answer.encoded())
    }

    /// A refusal of the request's fields: OpenAI's `param` and `code`.
    struct Refusal: Error {
        let param: String
        let code: String
        let message: String
    }

    /// The call in the body: JSON for generations, multipart (fields and `image`/`image[]` files) for edits.
    static func read(_ body: [UInt8], contentType: String, edit: Bool) -> Result<ArkCall, Refusal> {
        var fields: [String: String] = [:]
        var references: [String] = []
        if edit {
            guard let form = FormParts(body, contentType: contentType) else {
                return .failure(Refusal(param: "image", code: "invalid_value", message: "The body must be multipart/form-data."))
            }
            for part in form.parts {
                if part.filename != nil, part.name.hasPrefix("image") {
                    references.append("data:image/png;base64,\(Data(part.bytes).base64EncodedString())")
                } else {
                    fields[part.name] = part.text
                }
            }
            guard !references.isEmpty else {
                return .failure(Refusal(param: "image", code: "missing_required_parameter", message: "image is required."))
            }
        } else {
            guard case .object(let object)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body)) else {
                return .failure(Refusal(param: "", code: "invalid_json", message: "The body must be a JSON object."))
            }
            for (name, value) in object {
                switch value {
                case .string(let text): fields[name] = text
                case .integer(let number): fields[name] = "\(number)"
                default: break
                }
            }
        }
        guard let prompt = fields["prompt"], !prompt.isEmpty else {
            return .failure(Refusal(param: "prompt", code: "missing_required_parameter", message: "prompt is required."))
        }
        let count = Int(fields["n"] ?? "1") ?? 0
        guard (1...10).contains(count) else { return .failure(Refusal(param: "n", code: "invalid_value", message: "n must be between 1 and 10.")) }
        let size = (fields["size"] ?? "1024x1024").split(separator: "x").compactMap { Int($0) }
        guard size.count == 2, (16...8192).contains(size[0]), (16...8192).contains(size[1]) else {
            return .failure(Refusal(param: "size", code: "invalid_value", message: "size must be WIDTHxHEIGHT."))
        }
        let format = fields["output_format"] ?? "png"
        let responseFormat = fields["response_format"] ?? "url"
        guard ["png", "jpeg"].contains(format), ["url", "b64_json"].contains(responseFormat) else {
            return .failure(Refusal(param: "output_format", code: "invalid_value", message: "Unsupported output_format or response_format."))
        }
        return .success(
            ArkCall(
                model: fields["model"] ?? "",
                prompt: prompt,
                width: size[0],
                height: size[1],
                count: count,
                format: format,
                responseFormat: responseFormat,
                references: references
            )
        )
    }

    static func error(_ status: Int, _ message: String, type: String, param: String? = nil, code: String, retryAfter: Int? = nil) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body: JSONValue = .object([
            "error": .object([
                "message": .string(message), "type": .string(type), "param": param.map(JSONValue.string) ?? .null, "code": .string(code),
            ])
        ])
        return ArkEmulatorRoutes.json(.init(code: status), body.encoded(), headers: headers)
    }
}
