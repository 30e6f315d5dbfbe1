import Billing
import Catalog
import Essentials
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import NIOCore
import ServiceLifecycle

/// `POST /v1/generate`, `GET /v1/generations/{id}`, `GET /v1/generations`: HTTP in and out, the work in the use cases.
struct GenerationController<Generations: GenerationUseCases> {
    let generations: Generations
    let links: OutputLinks
    let syncTimeout: Duration
    let body: BodyLimits
    /// How often a progress stream with nothing new says it is alive.
    var heartbeat: Duration = .seconds(15)

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("generate", use: self.generate)
        group.get("generations/:id", use: self.get)
        group.get("generations/:id/events", use: self.events)
        group.post("generations/:id/cancel", use: self.cancel)
        group.post("generations/:id/webhook/redeliver", use: self.redeliverWebhook)
        group.get("generations", use: self.list)
    }

    /// Validates, holds, queues; then waits (synchronous call) or answers 202 at once (`Prefer: respond-async`).
    @Sendable func generate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let body = try await GenerationRequest.collect(request, limit: self.body.maxBytes, deadline: self.body.deadline)
        let respondAsync = request.headers[.prefer]?.lowercased().contains("respond-async") ?? false
        let created = try await GenerationRequest.create(
            on: self.generations,
            parameters: .json(body),
            request: request,
            context: context,
            wait: respondAsync ? nil : self.syncTimeout
        )
        let id = created.record.id
        var headers: HTTPFields = [.location: "/v1/generations/\(id)"]
        if respondAsync { headers[.preferenceApplied] = "respond-async" }
        if created.replayed { headers[.idempotentReplayed] = "true" }
        RateLimitHeaders.add(created.rateLimit, to: &headers)
        return try self.respond(created.record, headers: headers)
    }

    /// The owner's view of one generation; any other key gets 404, as if it did not exist.
    @Sendable func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = context.parameters.get("id") ?? ""
        guard let record = try await self.generations.generation(id: id, accountID: identity.accountID) else {
            throw APIError.notFound("No generation '\(id)' for this account.")
        }
        var body = GenerationResponse(record, links: self.links)
        body.attempts = Omittable(
            try await self.generations.attempts(generationID: id, accountID: identity.accountID).map(GenerationResponse.Attempt.init)
        )
        if let url = record.request.parameters.webhookURL {
            body.webhook = Omittable(
                WebhookBody(url: url, delivery: try await self.generations.webhook(generationID: id, accountID: identity.accountID))
            )
        }
        return try JSONResponse.make(body)
    }

    /// Sends the generation's webhook again now, with the same `webhook-id` (a receiver that lost it, or one that
    /// was down for longer than the retries last): 202 with the webhook's state. 409 `no_webhook` when the
    /// generation asked for none, `not_ended` while it runs (its event does not exist yet).
    @Sendable func redeliverWebhook(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = context.parameters.get("id") ?? ""
        guard let record = try await self.generations.generation(id: id, accountID: identity.accountID) else {
            throw APIError.notFound("No generation '\(id)' for this account.")
        }
        guard let url = record.request.parameters.webhookURL else {
            throw APIError(status: .conflict, code: "no_webhook", message: "Generation '\(id)' was created without a webhook_url.")
        }
        guard let delivery = try await self.generations.redeliverWebhook(generationID: id, accountID: identity.accountID) else {
            throw APIError(status: .conflict, code: "not_ended", message: "Generation '\(id)' has not ended: its event does not exist yet.")
        }
        return try JSONResponse.make(WebhookBody(url: url, delivery: delivery), status: .accepted, headers: [.location: "/v1/generations/\(id)"])
    }

    /// Cancels the caller's generation. Queued: it never runs and the whole hold is returned (200, `cancelled`).
    /// Running: its run stops it (upstream too) and settles what actually came back; the call waits for that like
    /// a synchronous generate (unless `Prefer: respond-async`), then answers 200 `cancelled`, or `409
    /// already_completed` when the images came first (they are delivered and charged), or 202 while it still runs.
    /// Asking again gives the same answer.
    @Sendable func cancel(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = context.parameters.get("id") ?? ""
        let respondAsync = request.headers[.prefer]?.lowercased().contains("respond-async") ?? false
        guard
            let record = try await self.generations.cancel(
                id: id,
                accountID: identity.accountID,
                waitingUpTo: respondAsync ? .zero : self.syncTimeout
            )
        else {
            throw APIError.notFound("No generation '\(id)' for this account.")
        }
        var body = GenerationResponse(record, links: self.links)
        let status: HTTPResponse.Status
        switch record.status {
        case .cancelled:
            status = .ok
        case .completed:
            status = .conflict
            body.code = Omittable("already_completed")
            body.message = Omittable("It completed before it could be cancelled: its images were delivered and charged.")
        case .failed:
            status = .conflict
            body.code = Omittable("already_failed")
            body.message = Omittable("It had already failed, and was refunded in full.")
        case .queued, .processing:
            status = .accepted
        }
        return try JSONResponse.make(body, status: status, headers: [.location: "/v1/generations/\(id)"])
    }

    /// Live progress as Server-Sent Events: one event per status (`queued`, `processing`, then `completed`, `failed`
    /// or `cancelled`), each carrying the generation as `GET /v1/generations/{id}` shows it and numbered by its step,
    /// so a client that reconnects with `Last-Event-ID` gets only what it has not seen. While the upstream queues the
    /// request, a `queue_position` event (the generation, with `queue_position`) each time its place changes; these
    /// carry no id (a place is only news while it lasts), and a reconnecting client gets the current one. A comment
    /// line every `heartbeat` keeps proxies from closing a quiet stream; the stream ends after the final event.
    @Sendable func events(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let id = context.parameters.get("id") ?? ""
        guard let first = try await self.generations.generation(id: id, accountID: identity.accountID) else {
            throw APIError.notFound("No generation '\(id)' for this account.")
        }
        let seen = request.headers[GenerationEvents.lastEventID].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        let (generations, links, heartbeat) = (self.generations, self.links, self.heartbeat)
        let body = ResponseBody { writer in
            var sent = seen
            var sentPosition: Int?
            var record = first
            while true {
                let step = GenerationEvents.step(of: record.status)
                if step > sent {
                    try await writer.write(
                        try GenerationEvents.event(GenerationResponse(record, links: links), step: step, name: record.status.rawValue)
                    )
                    sent = step
                }
                if record.status == .processing, let position = record.queuePosition, position != sentPosition {
                    try await writer.write(try GenerationEvents.event(GenerationResponse(record, links: links), step: nil, name: "queue_position"))
                    sentPosition = position
                }
                if record.status.isFinal { break }
                // A server shutting down ends the stream (a generation it interrupts would never end it); the client
                // reconnects, with its Last-Event-ID, to whichever server answers next.
                let current = record.progress
                let next = try await cancelWhenGracefulShutdown {
                    try await generations.generation(id: id, accountID: identity.accountID, changedFrom: current, waitingUpTo: heartbeat)
                }
                guard let next else { break }
                if next.progress == record.progress { try await writer.write(GenerationEvents.heartbeat) }
                record = next
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: GenerationEvents.headers, body: body)
    }

    /// Newest first. `limit` (1–100, default 20) and `after` (the `next_cursor` of the previous page).
    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        let query = request.uri.queryParameters
        let limit = Int(try QueryParameter.integer(query["limit"], name: "limit", in: 1...100) ?? 20)
        let after = query["after"].map(String.init)
        if let after, after.containsNUL { throw APIError(.invalid("after", "after must be a next_cursor from an earlier page.")) }
        let page = try await self.generations.generations(accountID: identity.accountID, limit: limit, after: after)
        return try JSONResponse.make(
            GenerationPage(
                data: page.records.map { GenerationResponse($0, links: self.links) },
                hasMore: page.nextCursor != nil,
                nextCursor: page.nextCursor
            )
        )
    }

    /// 200 completed, 502 failed (with the refund in the body), 409 cancelled by its owner, 202 still running.
    func respond(_ record: GenerationRecord, headers: HTTPFields) throws -> Response {
        let status: HTTPResponse.Status =
            switch record.status {
            case .completed: .ok
            case .failed: .badGateway
            case .cancelled: .conflict
            case .queued, .processing: .accepted
            }
        var headers = headers
        // Cancelled by its owner while this call waited: final, an SDK must not send it again.
        if record.status == .cancelled { headers[HTTPField.Name("x-should-retry")!] = "false" }
        return try JSONResponse.make(GenerationResponse(record, links: self.links), status: status, headers: headers)
    }
}

/// A page of generations, newest first.
struct GenerationPage: Encodable {
    let object = "list"
    let data: [GenerationResponse]
    let hasMore: Bool
    let nextCursor: String?
}

extension HTTPField.Name {
    static let prefer = HTTPField.Name("Prefer")!
    static let preferenceApplied = HTTPField.Name("Preference-Applied")!
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}
