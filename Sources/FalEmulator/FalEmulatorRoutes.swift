import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The HTTP face of the emulator. One catch-all route per method, because fal's endpoint ids have any number of
/// segments; `FalPath` sorts the path out.
struct FalEmulatorRoutes: Sendable {
    let queue: FalQueue
    let configuration: FalEmulatorConfiguration
    /// true on the synchronous (`fal.run`) host: a POST waits and returns the result itself.
    let synchronous: Bool

    func register(on router: Router<BasicRequestContext>) {
        router.get("/_emulator/stats") { _, _ in
            Self.json(.ok, try JSONEncoder().encode(await self.queue.stats))
        }
        for method in [HTTPRequest.Method.get, .post, .put] {
            router.on("**", method: method) { request, context in try await self.handle(request, context: context) }
        }
    }

    func handle(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let path = FalPath(request.uri.path)
        if case .file(let name) = path, request.method == .get {
            guard let file = await self.queue.file(name) else { return Self.detail(.notFound, "File not found") }
            if await self.queue.inject(\.downloadError) { return Self.detail(.serviceUnavailable, "CDN busy") }
            return Response(
                status: .ok,
                headers: [.contentType: file.contentType, .contentLength: String(file.bytes.count)],
                body: .init(byteBuffer: ByteBuffer(bytes: file.bytes))
            )
        }
        if let failure = self.authorizationFailure(request) { return failure }

        switch (path, request.method) {
        case (.submit(let endpoint, let app), .post):
            return try await self.submit(request, endpoint: endpoint, app: app)
        case (.status(let app, let id), .get):
            return await self.status(request, app: app, id: id)
        case (.statusStream(let app, let id), .get):
            return await self.statusStream(request, app: app, id: id)
        case (.result(let app, let id), .get):
            return await self.result(app: app, id: id)
        case (.cancel(let app, let id), .put):
            return await self.cancel(app: app, id: id)
        default:
            return Self.detail(.notFound, "Not Found")
        }
    }

    // MARK: - Operations

    func submit(_ request: Request, endpoint: String, app: String) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 << 20)
        guard let input = try? JSONDecoder().decode(JSONValue.self, from: Data(body.readableBytesView)), case .object = input else {
            return Self.json(
                .unprocessableContent,
                JSONValue.object(["detail": .array([FalImageSize.error("body must be a JSON object")])]).encoded()
            )
        }
        let webhook = request.uri.queryParameters["fal_webhook"].map { String($0) }
        guard let job = await self.queue.submit(endpoint: endpoint, app: app, input: input, webhookURL: self.synchronous ? nil : webhook) else {
            return Self.json(
                .serviceUnavailable,
                JSONValue.object(["detail": .string("Runner scheduling failure"), "error_type": .string("runner_scheduling_failure")]).encoded(),
                headers: [HTTPField.Name("X-Fal-Error-Type")!: "runner_scheduling_failure"]
            )
        }
        if self.configuration.submitLatencyMillis > 0 {
            // Queued already: a client that drops the call now has a request upstream it never heard of.
            try await Task.sleep(for: .milliseconds(self.configuration.submitLatencyMillis))
        }
        if !self.synchronous, await self.queue.inject(\.lostSubmit) {
            // Accepted and queued, but the answer is "lost in a proxy": a bare 504, no fal error type.
            return Response(
                status: .gatewayTimeout,
                headers: [.contentType: "text/html"],
                body: .init(byteBuffer: ByteBuffer(string: "<h1>504</h1>"))
            )
        }
        if self.synchronous {
            guard let finished = await self.queue.runToEnd(job.id) else { return Self.detail(.internalServerError, "lost") }
            return self.resultResponse(finished)
        }
        var body_ = job.statusBody(
            baseURL: self.configuration.queueBaseURL,
            queuePosition: await self.queue.queuePosition(job.id),
            includeLogs: false
        )
        if case .object(var fields) = body_ {
            fields["logs"] = nil
            body_ = .object(fields)
        }
        return Self.json(.ok, body_.encoded(), headers: [.falRequestID: job.id])
    }

    func status(_ request: Request, app: String, id: String) async -> Response {
        await self.queue.countStatusPoll()
        if await self.queue.inject(\.statusError) { return Self.detail(.internalServerError, "Internal Server Error") }
        guard let job = await self.queue.job(id), job.app == app else { return Self.detail(.notFound, "Request not found") }
        let logs = ["1", "true"].contains(request.uri.queryParameters["logs"].map(String.init) ?? "0")
        let body = job.statusBody(baseURL: self.configuration.queueBaseURL, queuePosition: await self.queue.queuePosition(id), includeLogs: logs)
        return Self.json(job.phase == .completed ? .ok : .accepted, body.encoded(), headers: [.falRequestID: id])
    }

    /// Server-sent events: one `data:` line with the status each time it changes, until `COMPLETED`.
    func statusStream(_ request: Request, app: String, id: String) async -> Response {
        guard let first = await self.queue.job(id), first.app == app else { return Self.detail(.notFound, "Request not found") }
        let queue = self.queue
        let base = self.configuration.queueBaseURL
        let logs = ["1", "true"].contains(request.uri.queryParameters["logs"].map(String.init) ?? "0")
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                var last: String?
                while true {
                    guard let job = await queue.job(id) else { break }
                    let body = job.statusBody(baseURL: base, queuePosition: await queue.queuePosition(id), includeLogs: logs)
                    let text = String(decoding: body.encoded(), as: UTF8.self)
                    if text != last {
                        try await writer.write(ByteBuffer(string: "data: \(text)\n\n"))
                        last = text
                    }
                    if job.phase == .completed { break }
                    await queue.waitForChange(id, from: job.phase)
                }
                try await writer.finish(nil)
            }
        )
    }

    func result(app: String, id: String) async -> Response {
        await self.queue.countResultFetch()
        guard let job = await self.queue.job(id), job.app == app else { return Self.detail(.notFound, "Request not found") }
        guard job.phase == .completed else { return Self.detail(.badRequest, "Request is still in progress") }
        return self.resultResponse(job)
    }

    func resultResponse(_ job: FalJob) -> Response {
        let headers: HTTPFields = [.falRequestID: job.id]
        switch job.outcome {
        case .success(let output):
            return Self.json(.ok, output.encoded(), headers: headers)
        case .failure(let failure):
            var failureHeaders = headers
            if failure.status != 422 { failureHeaders[HTTPField.Name("X-Fal-Error-Type")!] = failure.statusError.type }
            return Self.json(.init(code: failure.status), JSONValue.object(failure.resultBody).encoded(), headers: failureHeaders)
        case .invalidInput(let detail):
            return Self.json(.unprocessableContent, JSONValue.object(["detail": .array([detail])]).encoded(), headers: headers)
        case .cancelled, nil:
            return Self.json(.badRequest, JSONValue.object(["detail": .string("Request was cancelled")]).encoded(), headers: headers)
        }
    }

    func cancel(app: String, id: String) async -> Response {
        guard let job = await self.queue.job(id), job.app == app else {
            return Self.json(.notFound, JSONValue.object(["status": .string("NOT_FOUND")]).encoded())
        }
        let outcome = await self.queue.cancel(job.id)
        let status: HTTPResponse.Status = outcome == "ALREADY_COMPLETED" ? .badRequest : .accepted
        return Self.json(status, JSONValue.object(["status": .string(outcome)]).encoded())
    }

    // MARK: - Helpers

    /// fal wants `Authorization: Key <key>`.
    func authorizationFailure(_ request: Request) -> Response? {
        guard let header = request.headers[.authorization], header.hasPrefix("Key "), header.count > 4 else {
            return Self.detail(.unauthorized, "Missing or malformed Authorization header; expected 'Key <FAL_KEY>'.")
        }
        if let required = self.configuration.requiredKey, header != "Key \(required)" {
            return Self.detail(.unauthorized, "Invalid API key")
        }
        return nil
    }

    static func detail(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Self.json(status, JSONValue.object(["detail": .string(message)]).encoded())
    }

    static func json(_ status: HTTPResponse.Status, _ bytes: some Sequence<UInt8>, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: Array(bytes))))
    }
}

extension HTTPField.Name {
    static let falRequestID = HTTPField.Name("x-fal-request-id")!
}
