import Crypto
import Essentials
import Foundation

/// The emulator's memory: sessions, the answers saved per `Idempotency-Key`, and every event made.
actor StripeState {
    private(set) var sessions: [String: FakeSession] = [:]
    private var idempotent: [String: (fingerprint: String, status: Int, body: [UInt8])] = [:]
    private(set) var events: [String: FakeEvent] = [:]
    private(set) var eventOrder: [String] = []
    private(set) var stats: [String: Int] = ["sessionsCreated": 0, "idempotentReplays": 0, "eventsMade": 0, "deliveries": 0]

    /// A saved answer for `key`: `.replay` for the same request, `.conflict` for another one under the same key.
    enum Saved { case replay(Int, [UInt8]), conflict, none }

    func saved(key: String?, fingerprint: String) -> Saved {
        guard let key, let saved = self.idempotent[key] else { return .none }
        guard saved.fingerprint == fingerprint else { return .conflict }
        self.stats["idempotentReplays", default: 0] += 1
        return .replay(saved.status, saved.body)
    }

    func save(key: String?, fingerprint: String, status: Int, body: [UInt8]) {
        guard let key else { return }
        self.idempotent[key] = (fingerprint, status, body)
    }

    func add(_ session: FakeSession) {
        self.sessions[session.id] = session
        self.stats["sessionsCreated", default: 0] += 1
    }

    func session(_ id: String) -> FakeSession? { self.sessions[id] }

    func update(_ id: String, _ change: (inout FakeSession) -> Void) -> FakeSession? {
        guard var session = self.sessions[id] else { return nil }
        change(&session)
        self.sessions[id] = session
        return session
    }

    /// Makes an event of `type` about `object`.
    func makeEvent(type: String, object: JSONValue) -> FakeEvent {
        let id = "evt_" + Self.random()
        let body: JSONValue = .object([
            "id": .string(id),
            "object": .string("event"),
            "api_version": .string("2024-06-20"),
            "created": .integer(Timestamp.nowMillis() / 1000),
            "type": .string(type),
            "livemode": .bool(false),
            "pending_webhooks": .integer(1),
            "data": .object(["object": object]),
        ])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let event = FakeEvent(id: id, type: type, payload: Array((try? encoder.encode(body)) ?? Data()))
        self.events[id] = event
        self.eventOrder.append(id)
        self.stats["eventsMade", default: 0] += 1
        return event
    }

    func event(_ id: String) -> FakeEvent? { self.events[id] }

    func delivered(_ id: String, status: Int) {
        self.events[id]?.deliveries.append(status)
        self.stats["deliveries", default: 0] += 1
    }

    func allEvents() -> [FakeEvent] { self.eventOrder.compactMap { self.events[$0] } }

    static func random() -> String {
        String(UInt64.random(in: .min ... .max), radix: 36) + String(UInt64.random(in: .min ... .max), radix: 36)
    }

    static func fingerprint(_ fields: [(String, String)]) -> String {
        let text = fields.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        return Hex.string(SHA256.hash(data: Array(text.utf8)))
    }
}
