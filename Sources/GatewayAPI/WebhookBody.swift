import Essentials
import Generation
import Webhooks

/// A generation's webhook as its owner sees it in `GET /v1/generations/{id}`: where it goes, how its delivery stands,
/// and every attempt.
struct WebhookBody: Encodable, Sendable {
    struct Attempt: Encodable, Sendable {
        let attempt: Int
        let at: String?
        let statusCode: Int?
        let error: String?
        let durationMs: Int64
    }

    let url: String
    let webhookID: String?
    let event: String?
    /// `waiting` (the generation has not ended), `pending`, `delivered` or `failed`.
    let state: String
    let attempts: [Attempt]
    let nextAttemptAt: String?
    let deliveredAt: String?

    enum CodingKeys: String, CodingKey {
        case url
        case webhookID = "webhook_id"
        case event, state, attempts, nextAttemptAt, deliveredAt
    }

    /// The delivery of `url`; none yet while the generation runs.
    init(url: String, delivery: WebhookDelivery?) {
        self.url = url
        self.webhookID = delivery?.id
        self.event = delivery?.event
        self.state = delivery?.state.rawValue ?? "waiting"
        self.attempts = (delivery?.history ?? []).map {
            Attempt(attempt: $0.number, at: APITime.string($0.at), statusCode: $0.statusCode, error: $0.error, durationMs: $0.durationMillis)
        }
        self.nextAttemptAt = delivery?.state == .pending ? APITime.string(delivery?.nextAttemptAt) : nil
        self.deliveredAt = APITime.string(delivery?.deliveredAt)
    }
}

/// Renders webhook bodies, Standard Webhooks' payload shape: the event `type`, its `timestamp`, and as `data` the
/// generation exactly as `GET /v1/generations/{id}` shows it (links signed the same way).
package struct WebhookPayloads: Sendable {
    let links: OutputLinks

    package init(links: OutputLinks) {
        self.links = links
    }

    /// The JSON body of `delivery` for `record`: the same bytes on every attempt.
    package func body(_ record: GenerationRecord, _ delivery: WebhookDelivery) throws -> [UInt8] {
        try OrderedJSONEncoder().encode(
            Event(type: delivery.event, timestamp: APITime.string(delivery.createdAt), data: GenerationResponse(record, links: self.links))
        )
    }

    /// The body of `delivery`, its generation read through the use cases. The outbox only holds rows of generations
    /// that ended, so a missing one means the books were not readable as they are (the attempt is retried).
    package func body(of delivery: WebhookDelivery, from generations: any GenerationUseCases) async throws -> [UInt8] {
        guard let record = try await generations.generation(id: delivery.generationID, accountID: delivery.accountID) else {
            throw MissingGeneration(id: delivery.generationID)
        }
        return try self.body(record, delivery)
    }

    /// The generation of an outbox row is gone (it never is: rows are only added with their generation).
    struct MissingGeneration: Error {
        let id: String
    }

    struct Event: Encodable {
        let type: String
        let timestamp: String?
        let data: GenerationResponse
    }
}
