import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Imaging
import Logging
import NIOCore
import Providers
import SQLKit
import Storage
import Webhooks

/// The generation use cases (`GenerationUseCases`), as one straight line:
/// `create`: validate → cheap checks (idempotency, key limits, balance) → load references → hold → persist → queue
/// → wait; then a worker of the job engine (`JobEngine`'s `GenerationRunner`) runs it: claim → provider → store
/// outputs → settle (charge delivered, return the rest) → completed | failed. Recovery after a crash runs the same
/// runner.
package final class GenerationService: GenerationUseCases, UsesGenerationDependencies {
    let dependencies: GenerationDependencies
    let validator: GenerateRequestValidator
    let healthCache = ModelHealthCache()

    package init(_ dependencies: GenerationDependencies) {
        self.dependencies = dependencies
        self.validator = GenerateRequestValidator(catalog: dependencies.catalog)
    }

    package var catalog: ModelCatalog { self.dependencies.catalog }

    package var providerName: String { self.provider.name }

    // MARK: - Use cases

    package func create(_ request: NewGeneration) async throws -> CreatedGeneration {
        let (parameters, model): (GenerateParameters, ModelSpec)
        switch request.parameters {
        case .json(let body): (parameters, model) = try self.validator.validate(body: body, names: request.names)
        case .fields(let fields): (parameters, model) = try self.validator.validate(fields: fields, names: request.names)
        }
        let submission = try await self.submit(
            parameters,
            model: model,
            accountID: request.accountID,
            apiKeyID: request.apiKeyID,
            keyRateLimits: request.keyRateLimits,
            idempotencyKey: request.idempotencyKey,
            names: request.names,
            logger: request.logger
        )
        guard let wait = request.wait else { return submission }
        var ended = submission
        ended.record = try await self.waitForEnd(submission.record.id, timeout: wait) ?? submission.record
        return ended
    }

    package func generation(id: String, accountID: String, changedFrom progress: GenerationProgress, waitingUpTo timeout: Duration) async throws
        -> GenerationRecord?
    {
        try await self.watch(id, timeout: timeout, poll: Self.progressPollInterval) {
            try await self.store.get(id: id, accountID: accountID)
        } until: { record in
            // The hub wakes this at the end; the start of the run (queued → processing) is seen by the next read.
            record.progress != progress || record.status.isFinal
        }
    }

    package func cancel(id: String, accountID: String, waitingUpTo timeout: Duration) async throws -> GenerationRecord? {
        if let cancelled = try await self.settlement.cancelQueued(id: id, accountID: accountID) { return cancelled }
        guard let current = try await self.store.get(id: id, accountID: accountID) else { return nil }
        if current.status.isFinal { return current }
        // Running: its run (on any replica) sees the request at its next step, stops and settles.
        _ = try await self.store.requestCancel(id: id, accountID: accountID, now: self.settings.clock.nowMillis())
        guard timeout > .zero else { return try await self.store.get(id: id, accountID: accountID) ?? current }
        return try await self.waitForEnd(id, timeout: timeout) ?? current
    }

    package func modelHealth(model: String) async throws -> ModelHealth {
        let now = self.settings.clock.nowMillis()
        return try await self.healthCache.health(model: model, now: now) {
            try await ModelHealth.read(model: model, since: now - ModelHealth.windowMillis, on: self.database)
        }
    }

    package func attempts(generationID: String, accountID: String) async throws -> [AttemptRecord] {
        try await self.store.attempts(of: generationID, accountID: accountID)
    }

    package func webhook(generationID: String, accountID: String) async throws -> WebhookDelivery? {
        try await self.webhooks.delivery(generationID: generationID, accountID: accountID)
    }

    package func redeliverWebhook(generationID: String, accountID: String) async throws -> WebhookDelivery? {
        guard try await self.webhooks.redeliver(generationID: generationID, accountID: accountID, now: self.settings.clock.nowMillis()) != nil
        else { return nil }
        await self.webhookBell.ring()
        return try await self.webhooks.delivery(generationID: generationID, accountID: accountID)
    }

    /// How often a watcher reads a generation that has not ended, to see it start.
    static let progressPollInterval = Duration.milliseconds(250)

    package func generation(id: String, accountID: String) async throws -> GenerationRecord? {
        try await self.store.get(id: id, accountID: accountID)
    }

    package func generations(accountID: String, limit: Int, after cursor: String?) async throws -> GenerationsPage {
        let records = try await self.store.list(accountID: accountID, limit: limit + 1, before: cursor)
        let page = Array(records.prefix(limit))
        return GenerationsPage(records: page, nextCursor: records.count > limit ? page.last?.id : nil)
    }

    package func readOutput(_ image: OutputImage, into consume: (ByteBuffer) async throws -> Void) async throws {
        guard let output = try await self.outputs.get(id: image.outputID) else { throw BlobError.notFound(image.outputID) }
        try await self.blobs.read(key: output.blobKey, into: consume)
    }
}
