import Billing
import Catalog
import Essentials
import Logging
import NIOCore
import Webhooks

/// What a front door (the native API, the OpenAI routes, the web pages) can do with generations. Every front door
/// goes through these and only these, so none re-implements validation, billing, idempotency or waiting; a front
/// door only translates its own shapes.
package protocol GenerationUseCases: Sendable {
    /// The models on sale (front doors describe them, and translate their own size notations against them).
    var catalog: ModelCatalog { get }

    /// Validates, checks that the caller can pay, holds, persists and queues a generation (or finds the one its
    /// `Idempotency-Key` names), then waits for its end up to `request.wait`. Refusals are `RequestError`s.
    func create(_ request: NewGeneration) async throws -> CreatedGeneration

    /// One generation of the account; nil when it does not exist or belongs to another account.
    func generation(id: String, accountID: String) async throws -> GenerationRecord?

    /// The generation as soon as its progress (status, place in the upstream's queue) is no longer `progress` (or at
    /// once when it is final), waiting up to `timeout`; as it then is when nothing changed. nil when it does not
    /// exist or belongs to another account. (Live progress: each call sees the next step.)
    func generation(id: String, accountID: String, changedFrom progress: GenerationProgress, waitingUpTo timeout: Duration) async throws
        -> GenerationRecord?

    /// Cancels one of the account's generations and returns it as it then is: `cancelled` (a queued one at once, a
    /// running one once its run has stopped it), or final already (it ended first), or still running when its run
    /// did not settle within `timeout`. Nil when it does not exist or belongs to another account. Money moves
    /// exactly once whatever races it: a queued one is cancelled only if no run claimed it, a running one is settled
    /// only by its run.
    func cancel(id: String, accountID: String, waitingUpTo timeout: Duration) async throws -> GenerationRecord?

    /// How the model fared over the last day (from the books: the share that succeeded and the median time to a
    /// finished image), for its public page.
    func modelHealth(model: String) async throws -> ModelHealth

    /// The attempts of one of the account's generations on its model's routes, first first (empty before the first,
    /// and when it does not exist or belongs to another account).
    func attempts(generationID: String, accountID: String) async throws -> [AttemptRecord]

    /// The webhook of one of the account's generations, with its attempts; nil when it asked for none or has not
    /// ended yet (the event is written when it ends).
    func webhook(generationID: String, accountID: String) async throws -> WebhookDelivery?

    /// Sends a generation's webhook again now (same `webhook-id`), retried as a new one would be; nil when it has
    /// none (yet).
    func redeliverWebhook(generationID: String, accountID: String) async throws -> WebhookDelivery?

    /// A page of the account's generations, newest first, starting after `cursor`.
    func generations(accountID: String, limit: Int, after cursor: String?) async throws -> GenerationsPage

    /// Streams the bytes of one stored output of a generation (for answers that carry the image inline).
    func readOutput(_ image: OutputImage, into consume: (ByteBuffer) async throws -> Void) async throws
}

/// A request for a generation, as a front door hands it over.
package struct NewGeneration: Sendable {
    /// The parameters: a raw JSON body (`POST /v1/generate`) or fields already translated by the front door.
    package enum Parameters: Sendable {
        case json([UInt8])
        case fields([String: JSONValue])
    }

    package var parameters: Parameters
    package var accountID: String
    package var apiKeyID: String?
    /// The key's own rate limits when the front door read them with the key; nil: read them from the books.
    package var keyRateLimits: KeyRateLimits?
    package var idempotencyKey: String?
    /// How long to wait for the end before answering with the generation as it is; nil answers at once.
    package var wait: Duration?
    /// How the caller names the parameters, for refusals.
    package var names: ParameterNames
    package var logger: Logger

    package init(
        parameters: Parameters,
        accountID: String,
        apiKeyID: String?,
        keyRateLimits: KeyRateLimits? = nil,
        idempotencyKey: String? = nil,
        wait: Duration? = nil,
        names: ParameterNames = .native,
        logger: Logger
    ) {
        self.parameters = parameters
        self.accountID = accountID
        self.apiKeyID = apiKeyID
        self.keyRateLimits = keyRateLimits
        self.idempotencyKey = idempotencyKey
        self.wait = wait
        self.names = names
        self.logger = logger
    }
}

/// What `create` did: the generation as it is now (ended, or still running after the wait), and whether it was
/// found through its `Idempotency-Key` rather than created.
package struct CreatedGeneration: Sendable {
    package var record: GenerationRecord
    package let replayed: Bool
    /// The caller's rate limit nearest to exhaustion after this request (for the `RateLimit-*` headers); nil when
    /// no limit applies to the key.
    package var rateLimit: RateLimitStatus? = nil

    package init(record: GenerationRecord, replayed: Bool) {
        self.record = record
        self.replayed = replayed
    }
}

/// One page of an account's generations.
package struct GenerationsPage: Sendable {
    package let records: [GenerationRecord]
    /// The cursor of the next page; nil on the last one.
    package let nextCursor: String?

    package init(records: [GenerationRecord], nextCursor: String?) {
        self.records = records
        self.nextCursor = nextCursor
    }
}
