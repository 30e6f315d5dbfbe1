import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP face of the Ark emulator: `POST …/images/generations` (under any base path, `/api/v3` as Ark's), the
/// image files, and the counters.
struct ArkEmulatorRoutes: Sendable {
    let state: ArkState
    let configuration: ArkEmulatorConfiguration

    func register(on router: Router<BasicRequestContext>) {
        Self.registerCounterAndFiles(self.state, on: router)
        router.post("**") { request, _ in
            guard request.uri.path.hasSuffix("/images/generations") else {
                return Self.error(404, code: "NotFound", message: "The requested path was not found.", type: "NotFound")
            }
            return try await self.generate(request)
        }
    }

    func generate(_ request: Request) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "), header.count > 7,
            self.configuration.requiredKey.map({ header == "Bearer \($0)" }) ?? true
        else {
            return Self.error(401, code: "AuthenticationError", message: "The API key format is incorrect.", type: "Unauthorized")
        }
        let body = try await request.body.collect(upTo: 64 << 20)
        guard await self.state.admit() else {
            return Self.error(
                429,
                code: "RequestBurstTooFast",
                message: "The request was rejected because of a sudden increase in traffic. Please retry later.",
                type: "TooManyRequests",
                retryAfter: self.configuration.retryAfterSeconds
            )
        }
        let call: ArkCall
        do {
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView))
            call = try ArkCall(value)
        } catch let refusal as ArkCall.Refusal {
            await self.state.countInvalid()
            return Self.error(400, code: refusal.code, message: refusal.message, type: "BadRequest", param: refusal.param)
        } catch {
            await self.state.countInvalid()
            return Self.error(400, code: "InvalidParameter", message: "The request body is not valid JSON.", type: "BadRequest")
        }
        if await self.state.failsWhole() {
            let failure = self.configuration.failType
            return Self.error(failure.status, code: failure.code, message: failure.message, type: failure.type)
        }
        if self.configuration.latencyMillis > 0 { try await Task.sleep(for: .milliseconds(self.configuration.latencyMillis)) }
        let id = Self.requestID()
        let slots = await self.state.run(call, id: id)
        if await self.state.losesAnswer() {
            // The work ran and was billed; the answer is lost on the way (as a 500 after the fact looks to a client).
            return Self.error(
                500,
                code: "InternalServiceError",
                message: "The service encountered an unexpected internal error.",
                type: "InternalServerError"
            )
        }
        if !call.sequential, slots.allSatisfy({ $0 == nil }) {
            // Outside sequential mode the one image's refusal is the call's.
            return Self.error(
                400,
                code: "OutputImageSensitiveContentDetected",
                message: "The request failed because the output image may contain sensitive information.",
                type: "BadRequest"
            )
        }
        let data: [JSONValue] = slots.map { slot in
            guard let image = slot else {
                return .object([
                    "error": .object([
                        "code": .string("OutputImageSensitiveContentDetected"),
                        "message": .string("The request failed because the output image may contain sensitive information. Request id: \(id)"),
                    ])
                ])
            }
            var item: [String: JSONValue] = ["size": .string("\(image.width)x\(image.height)")]
            if call.responseFormat == "b64_json" {
                item["b64_json"] = .string(Data(image.bytes).base64EncodedString())
            } else {
                item["url"] = .string("\(self.configuration.baseURL)/files/\(image.name)")
            }
            return .object(item)
        }
        let made = slots.compactMap { $0 }.count
        let answer: JSONValue = .object([
            "model": .string(call.model),
            "created": .integer(Int64(Date().timeIntervalSince1970)),
            "data": .array(data),
            "usage": .object([
                "generated_images": .integer(Int64(made)),
                "output_tokens": .integer(Int64(made * (call.width * call.height / 256))),
                "total_tokens": .integer(Int64(made * (call.width * call.height / 256))),
            ]),
        ])
        return Self.json(.ok, answer.encoded(), headers: [.arkRequestID: id])
    }

    /// `GET /_emulator/stats` and the image files a call made, shared by both protocols' emulators.
    static func registerCounterAndFiles(_ state: ArkState, on router: Router<BasicRequestContext>) {
        router.get("/_emulator/stats") { _, _ in
            Self.json(.ok, try JSONEncoder().encode(await state.stats))
        }
        router.get("/files/**") { request, _ in
            let name = String(request.uri.path.dropFirst("/files/".count))
            guard let file = await state.file(name) else { return Self.json(.notFound, Array("{\"message\":\"NoSuchKey\"}".utf8)) }
            return Response(
                status: .ok,
                headers: [.contentType: file.contentType, .contentLength: String(file.bytes.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: file.bytes))
            )
        }
    }

    static func error(_ status: Int, code: String, message: String, type: String, param: String = "", retryAfter: Int? = nil) -> Response {
        let id = Self.requestID()
        var headers: HTTPFields = [.arkRequestID: id, .arkErrorCode: code]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Self.json(
            .init(code: status),
            ArkErrorBody.make(code: code, message: message, type: type, param: param, requestID: id).encoded(),
            headers: headers
        )
    }

    /// Ark's request ids look like `0217…` followed by hex.
    static func requestID() -> String {
        "0217" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    }

    static func json(_ status: HTTPResponse.Status, _ bytes: some Sequence<UInt8>, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes))))
    }
}

extension HTTPField.Name {
    static let arkRequestID = HTTPField.Name("x-request-id")!
    static let arkErrorCode = HTTPField.Name("x-error-code")!
}
