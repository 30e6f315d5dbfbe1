import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `imagegate replicate-emulator`: Replicate's predictions API for its `bytedance/seedream-*` models (create by model
/// name, get, cancel; `Prefer: wait`), on the engine, knobs and counters of the Ark emulator. HTTP errors carry
/// Replicate's problem details `{"title", "detail", "status"}`; a prediction that fails ends `failed` with its `error`.
struct ReplicateEmulatorRoutes: Sendable {
    let state: ArkState
    let predictions: ReplicatePredictions
    let configuration: ArkEmulatorConfiguration

    init(configuration: ArkEmulatorConfiguration) {
        self.state = ArkState(configuration: configuration, protocol: "replicate")
        self.predictions = ReplicatePredictions(state: self.state, configuration: configuration)
        self.configuration = configuration
    }

    func register(on router: Router<BasicRequestContext>) {
        ArkEmulatorRoutes.registerCounterAndFiles(self.state, on: router)
        router.post("/v1/models/:owner/:name/predictions") { request, context in
            guard self.authorised(request) else { return Self.unauthenticated }
            return try await self.create(request, owner: context.parameters.get("owner") ?? "", name: context.parameters.get("name") ?? "")
        }
        router.get("/v1/predictions/:id") { request, context in
            guard self.authorised(request) else { return Self.unauthenticated }
            await self.state.countPoll()
            guard let prediction = await self.predictions.get(context.parameters.get("id") ?? "") else { return Self.notFound }
            return ArkEmulatorRoutes.json(.ok, prediction.json(baseURL: self.configuration.baseURL).encoded())
        }
        router.post("/v1/predictions/:id/cancel") { request, context in
            guard self.authorised(request) else { return Self.unauthenticated }
            guard let prediction = await self.predictions.cancel(context.parameters.get("id") ?? "") else { return Self.notFound }
            return ArkEmulatorRoutes.json(.ok, prediction.json(baseURL: self.configuration.baseURL).encoded())
        }
    }

    func create(_ request: Request, owner: String, name: String) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        guard await self.state.admit() else {
            return Self.problem(
                429,
                title: "Request was throttled.",
                detail: "Request was throttled. Your rate limit resets in ~\(self.configuration.retryAfterSeconds)s.",
                retryAfter: self.configuration.retryAfterSeconds
            )
        }
        guard let schema = ReplicateInput.Schema.of(model: name) else { return Self.notFound }
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)) else {
            await self.state.countInvalid()
            return Self.problem(400, title: "Bad Request", detail: "The request body is not valid JSON.")
        }
        let input: ReplicateInput
        do {
            input = try ReplicateInput(fields["input"], model: "\(owner)/\(name)", schema: schema)
        } catch {
            await self.state.countInvalid()
            return Self.invalid(error)
        }
        var failure: String?
        if await self.state.failsWhole() {
            switch self.configuration.failType {
            case .invalidParameter:
                return Self.invalid(ReplicateInput.Refusal(field: "input.size", type: "enum", description: "size is not supported by this version"))
            case .authentication: return Self.unauthenticated
            case .modelNotFound: return Self.notFound
            case .overloaded:
                return Self.problem(
                    429,
                    title: "Request was throttled.",
                    detail: "Request was throttled. Your rate limit resets in ~1s.",
                    retryAfter: self.configuration.retryAfterSeconds
                )
            case .contentPolicy: failure = "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
            case .internalError: failure = "Prediction interrupted; please retry (code: PA)"
            }
        }
        let created = await self.predictions.create(model: "\(owner)/\(name)", input: fields["input"] ?? .null, call: input.call, failure: failure)
        if await self.state.losesAnswer() {
            // The prediction was created and runs (and bills); its answer is lost on the way.
            return Self.problem(500, title: "Internal Server Error", detail: "An unexpected error occurred.")
        }
        // `Prefer: wait` (60 s) or `Prefer: wait=N`: held until the prediction ends, or answered `starting` after.
        var prediction = created
        var waited = false
        if let prefer = request.headers[.prefer], prefer.hasPrefix("wait") {
            let seconds = prefer.split(separator: "=").dropFirst().first.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 60
            prediction = await self.predictions.waitForEnd(created.id, seconds: min(max(seconds, 1), 60)) ?? created
            waited = true
        }
        return ArkEmulatorRoutes.json(.created, prediction.json(baseURL: self.configuration.baseURL, reportRunningAsStarting: waited).encoded())
    }

    /// `Authorization: Bearer <token>` (or the older `Token <token>`), the configured one when `--key` is set.
    func authorised(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization] else { return false }
        let token = header.hasPrefix("Bearer ") ? header.dropFirst(7) : header.hasPrefix("Token ") ? header.dropFirst(6) : ""
        return !token.isEmpty && self.configuration.requiredKey.map { token == $0 } ?? true
    }

    static var unauthenticated: Response {
        Self.problem(401, title: "Unauthenticated", detail: "You did not pass a valid authentication token")
    }

    static var notFound: Response { Self.problem(404, title: "Not found", detail: "The requested resource could not be found.") }

    /// 422 `Input validation failed`, naming the field as Replicate does.
    static func invalid(_ refusal: ReplicateInput.Refusal) -> Response {
        Self.problem(
            422,
            title: "Input validation failed",
            detail: "- \(refusal.field): \(refusal.description)\n",
            extra: [
                "invalid_fields": .array([
                    .object(["type": .string(refusal.type), "field": .string(refusal.field), "description": .string(refusal.description)])
                ])
            ]
        )
    }

    /// RFC 7807 problem details, as Replicate's API answers every HTTP error.
    static func problem(_ status: Int, title: String, detail: String, retryAfter: Int? = nil, extra: [String: JSONValue] = [:]) -> Response {
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        let body: JSONValue = .object(
            extra.merging(["title": .string(title), "detail": .string(detail), "status": .integer(Int64(status))]) { $1 }
        )
        var response = ArkEmulatorRoutes.json(.init(code: status), body.encoded(), headers: headers)
        response.headers[.contentType] = "application/problem+json"
        return response
    }
}

extension HTTPField.Name {
    static let prefer = HTTPField.Name("Prefer")!
}
