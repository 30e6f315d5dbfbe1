import AsyncHTTPClient
import Essentials
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import Payments

/// The routes of the fake Stripe: the part of Stripe's API ImageGate calls (Checkout Sessions: create with
/// `Idempotency-Key`, retrieve, expire), a hosted page that "pays" a session, and signed events sent to one webhook
/// endpoint. `/_emulator/…` lets a test complete a session with another amount, refund it, resend any event (late, in
/// any order, with a stale signature) and read every event's exact bytes.
struct StripeEmulatorRoutes: Sendable {
    let state: StripeState
    let configuration: StripeEmulatorConfiguration

    func register(on router: Router<BasicRequestContext>) {
        router.post("/v1/checkout/sessions") { request, _ in try await self.create(request) }
        router.get("/v1/checkout/sessions/:id") { request, context in
            try self.authorized(request)
            return try await self.sessionAnswer(context.parameters.get("id") ?? "")
        }
        router.post("/v1/checkout/sessions/:id/expire") { request, context in
            try self.authorized(request)
            let id = context.parameters.get("id") ?? ""
            guard let session = await self.state.session(id) else { return Self.error(404, "No such checkout.session: '\(id)'", param: "session") }
            guard session.status == "open" else { return Self.error(400, "Only open sessions can be expired.") }
            let expired = await self.state.update(id) { $0.status = "expired" }!
            await self.send(type: "checkout.session.expired", object: expired.json(publicURL: self.configuration.resolvedPublicURL))
            return try await self.sessionAnswer(id)
        }
        router.get("/pay/:id") { _, context in try await self.payPage(context.parameters.get("id") ?? "") }
        router.post("/pay/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let session = try await self.complete(id, amount: nil, currency: nil, deliver: true) else {
                return Self.error(404, "No open session \(id).")
            }
            var headers = HTTPFields()
            headers[.location] = session.successURL
            return Response(status: .seeOther, headers: headers)
        }
        router.post("/_emulator/sessions/:id/complete") { request, context in
            let query = request.uri.queryParameters
            let session = try await self.complete(
                context.parameters.get("id") ?? "",
                amount: query.get("amount_total").flatMap { Int64($0) },
                currency: query.get("currency").map { String($0) },
                deliver: query.get("deliver") != "0"
            )
            guard session != nil else { return Self.error(404, "No open session.") }
            return try Self.json(.object(["events": .array(await self.state.allEvents().suffix(1).map { .string($0.id) })]))
        }
        router.post("/_emulator/sessions/:id/refund") { request, context in
            let cents = request.uri.queryParameters.get("amount").flatMap { Int64($0) } ?? 0
            let id = context.parameters.get("id") ?? ""
            guard let session = await self.state.update(id, { $0.refunded += cents }), let intent = session.paymentIntent else {
                return Self.error(404, "No paid session \(id).")
            }
            let charge: JSONValue = .object([
                "id": .string("ch_" + StripeState.random()), "object": .string("charge"), "payment_intent": .string(intent),
                "amount": .integer(session.amountTotal), "amount_refunded": .integer(session.refunded), "currency": .string(session.currency),
                "refunded": .bool(session.refunded >= session.amountTotal),
            ])
            let event = await self.send(type: "charge.refunded", object: charge, deliver: request.uri.queryParameters.get("deliver") != "0")
            return try Self.json(.object(["events": .array([.string(event.id)])]))
        }
        router.post("/_emulator/events/:id/resend") { request, context in
            guard let event = await self.state.event(context.parameters.get("id") ?? "") else { return Self.error(404, "No such event.") }
            let stale = request.uri.queryParameters.get("stale") == "1"
            let status = await self.deliver(event, stampOffset: stale ? -600 : 0)
            return try Self.json(.object(["status": .integer(Int64(status))]))
        }
        router.get("/_emulator/events") { _, _ in
            let events = await self.state.allEvents().map { event -> JSONValue in
                .object([
                    "id": .string(event.id), "type": .string(event.type), "payload": .string(String(decoding: event.payload, as: UTF8.self)),
                    "signature": .string(self.signer.header(for: event.payload, timestamp: Timestamp.nowMillis() / 1000)),
                    "deliveries": .array(event.deliveries.map { .integer(Int64($0)) }),
                ])
            }
            return try Self.json(.object(["data": .array(events)]))
        }
        router.get("/_emulator/stats") { _, _ in try Self.json(.object(await self.state.stats.mapValues { .integer(Int64($0)) })) }
    }

    var signer: StripeSignature { StripeSignature(secret: self.configuration.webhookSecret) }

    /// `POST /v1/checkout/sessions`, form-encoded as Stripe's libraries send it; the first answer per
    /// `Idempotency-Key` is saved and replayed, and the same key with other parameters is refused.
    func create(_ request: Request) async throws -> Response {
        try self.authorized(request)
        let body = try await request.body.collect(upTo: 1 << 20)
        let fields = Self.form(String(buffer: body))
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let fingerprint = StripeState.fingerprint(fields)
        switch await self.state.saved(key: key, fingerprint: fingerprint) {
        case .replay(let status, let bytes):
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json", HTTPField.Name("Idempotent-Replayed")!: "true"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        case .conflict:
            return Self.error(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                type: "idempotency_error"
            )
        case .none:
            break
        }
        let (status, bytes) = await self.newSession(fields)
        await self.state.save(key: key, fingerprint: fingerprint, status: status, body: bytes)
        return Response(status: .init(code: status), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The answer to a create that is not a replay: the session, or Stripe's error for the first missing or wrong field.
    func newSession(_ fields: [(String, String)]) async -> (Int, [UInt8]) {
        let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        if values["mode"] != "payment" { return Self.errorBytes(400, "Only mode=payment is emulated.", param: "mode") }
        let required = ["success_url", "line_items[0][price_data][currency]", "line_items[0][price_data][unit_amount]"]
        if let missing = required.first(where: { values[$0] == nil }) {
            return Self.errorBytes(400, "Missing required param: \(missing).", param: missing)
        }
        guard let cents = values["line_items[0][price_data][unit_amount]"].flatMap({ Int64($0) }), cents > 0 else {
            return Self.errorBytes(400, "Invalid integer: unit_amount.", param: "line_items[0][price_data][unit_amount]")
        }
        let quantity = values["line_items[0][quantity]"].flatMap { Int64($0) } ?? 1
        var metadata: [String: String] = [:]
        for (name, value) in fields where name.hasPrefix("metadata[") { metadata[String(name.dropFirst(9).dropLast())] = value }
        let session = FakeSession(
            id: "cs_test_" + StripeState.random(),
            amountTotal: cents * quantity,
            currency: values["line_items[0][price_data][currency]"]!.lowercased(),
            clientReferenceID: values["client_reference_id"],
            successURL: values["success_url"]!,
            cancelURL: values["cancel_url"] ?? values["success_url"]!,
            metadata: metadata
        )
        await self.state.add(session)
        return (200, Self.bytes(session.json(publicURL: self.configuration.resolvedPublicURL)))
    }

    /// Pays an open session (with another amount or currency if a test asks, as no real Stripe would) and, unless
    /// told not to, delivers `checkout.session.completed`.
    func complete(_ id: String, amount: Int64?, currency: String?, deliver: Bool) async throws -> FakeSession? {
        guard let session = await self.state.session(id), session.status == "open" else { return nil }
        let paid = await self.state.update(id) {
            $0.status = "complete"
            $0.paymentStatus = "paid"
            $0.paymentIntent = "pi_" + StripeState.random()
        }!
        var object = paid.json(publicURL: self.configuration.resolvedPublicURL)
        if case .object(var fields) = object {
            if let amount { fields["amount_total"] = .integer(amount) }
            if let currency { fields["currency"] = .string(currency) }
            object = .object(fields)
        }
        await self.send(type: "checkout.session.completed", object: object, deliver: deliver)
        return paid
    }

    @discardableResult
    func send(type: String, object: JSONValue, deliver: Bool = true) async -> FakeEvent {
        let event = await self.state.makeEvent(type: type, object: object)
        if deliver { _ = await self.deliver(event) }
        return event
    }

    /// POSTs the event's bytes, signed now (shifted by `stampOffset` seconds); returns the endpoint's status (0: no
    /// answer, or no endpoint).
    func deliver(_ event: FakeEvent, stampOffset: Int64 = 0) async -> Int {
        guard let url = self.configuration.webhookURL else { return 0 }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        request.headers.add(
            name: "Stripe-Signature",
            value: self.signer.header(for: event.payload, timestamp: Timestamp.nowMillis() / 1000 + stampOffset)
        )
        request.body = .bytes(ByteBuffer(bytes: event.payload))
        let status: Int
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            status = Int(response.status.code)
        } catch {
            status = 0
        }
        await self.state.delivered(event.id, status: status)
        return status
    }

    func sessionAnswer(_ id: String) async throws -> Response {
        guard let session = await self.state.session(id) else { return Self.error(404, "No such checkout.session: '\(id)'", param: "session") }
        return try Self.json(session.json(publicURL: self.configuration.resolvedPublicURL))
    }

    func payPage(_ id: String) async throws -> Response {
        guard let session = await self.state.session(id), session.status == "open" else {
            return Response(
                status: .notFound,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "<p>No open session.</p>"))
            )
        }
        let dollars = String(format: "%.2f", Double(session.amountTotal) / 100)
        let html = """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Pay ImageGate (test)</title></head>
            <body><main><h1>Fake Stripe Checkout</h1><p>ImageGate credit: $\(dollars) \(session.currency.uppercased())</p>
            <form method="post" action="/pay/\(session.id)"><button type="submit">Pay $\(dollars)</button></form></main></body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// Stripe takes the secret key as a Bearer token or as Basic auth's user name; the emulator takes any test key.
    func authorized(_ request: Request) throws {
        let header = request.headers[.authorization] ?? ""
        var key = ""
        if header.hasPrefix("Bearer ") {
            key = String(header.dropFirst(7))
        } else if header.hasPrefix("Basic "), let data = Data(base64Encoded: String(header.dropFirst(6))) {
            key = String(decoding: data, as: UTF8.self).split(separator: ":").first.map(String.init) ?? ""
        }
        guard key.hasPrefix("sk_test_") else {
            throw HTTPError(.unauthorized, message: "Invalid API Key provided.")
        }
    }

    static func form(_ text: String) -> [(String, String)] {
        text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    static func bytes(_ value: JSONValue) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array((try? encoder.encode(value)) ?? Data())
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: Self.bytes(value))))
    }

    /// Stripe's error envelope.
    static func errorBytes(_ status: Int, _ message: String, param: String? = nil, type: String = "invalid_request_error") -> (Int, [UInt8]) {
        var fields: [String: JSONValue] = ["type": .string(type), "message": .string(message)]
        if let param { fields["param"] = .string(param) }
        return (status, Self.bytes(.object(["error": .object(fields)])))
    }

    static func error(_ status: Int, _ message: String, param: String? = nil, type: String = "invalid_request_error") -> Response {
        let (code, bytes) = Self.errorBytes(status, message, param: param, type: type)
        return Response(status: .init(code: code), headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
