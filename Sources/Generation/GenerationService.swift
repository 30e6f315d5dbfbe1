import Billing
import Blobs
import Catalog
import Foundation
import Imaging
import Logging
import NIOCore
import Providers
import SQLKit
import Storage

/// The generation use cases (`GenerationUseCases`), as one straight line:
/// `create`: validate → cheap checks (idempotency, key limits, balance) → load references → hold → persist → queue
/// → wait; then a worker runs it with `GenerationRunner`: claim → provider → store outputs → settle (charge delivered,
/// return the rest) → completed | failed. Recovery after a crash runs the same runner.
public final class GenerationService: GenerationUseCases, UsesGenerationDependencies {
    let dependencies: GenerationDependencies
    let validator: GenerateRequestValidator

    public init(_ dependencies: GenerationDependencies) {
        self.dependencies = dependencies
        self.validator = GenerateRequestValidator(catalog: dependencies.catalog)
    }

    public var catalog: ModelCatalog { self.dependencies.catalog }

    /// Runs generations for this service (and for the workers, over the same dependencies).
    var runner: GenerationRunner { GenerationRunner(dependencies: self.dependencies) }

    public var providerName: String { self.provider.name }

    // MARK: - Use cases

    public func create(_ request: NewGeneration) async throws -> CreatedGeneration {
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

    public func generation(id: String, accountID: String, changedFrom progress: GenerationProgress, waitingUpTo timeout: Duration) async throws
        -> GenerationRecord?
    {
        try await self.watch(id, timeout: timeout, poll: Self.progressPollInterval) {
            try await self.store.get(id: id, accountID: accountID)
        } until: { record in
            // The hub wakes this at the end; the start of the run (queued → processing) is seen by the next read.
            record.progress != progress || record.status.isFinal
        }
    }

    public func cancel(id: String, accountID: String, waitingUpTo timeout: Duration) async throws -> GenerationRecord? {
        if let cancelled = try await self.settlement.cancelQueued(id: id, accountID: accountID) { return cancelled }
        guard let current = try await self.store.get(id: id, accountID: accountID) else { return nil }
        if current.status.isFinal { return current }
        // Running: its run (on any replica) sees the request at its next step, stops and settles.
        _ = try await self.store.requestCancel(id: id, accountID: accountID, now: self.settings.clock.nowMillis())
        guard timeout > .zero else { return try await self.store.get(id: id, accountID: accountID) ?? current }
        return try await self.waitForEnd(id, timeout: timeout) ?? current
    }

    public func webhook(generationID: String, accountID: String) async throws -> WebhookDelivery? {
        try await self.webhooks.delivery(generationID: generationID, accountID: accountID)
    }

    public func redeliverWebhook(generationID: String, accountID: String) async throws -> WebhookDelivery? {
        guard try await self.webhooks.redeliver(generationID: generationID, accountID: accountID, now: self.settings.clock.nowMillis()) != nil
        else { return nil }
        await self.webhookBell.signal(WebhookDispatcher.bellKey)
        return try await self.webhooks.delivery(generationID: generationID, accountID: accountID)
    }

    /// How often a watcher reads a generation that has not ended, to see it start.
    static let progressPollInterval = Duration.milliseconds(250)

    public func generation(id: String, accountID: String) async throws -> GenerationRecord? {
        try await self.store.get(id: id, accountID: accountID)
    }

    public func generations(accountID: String, limit: Int, after cursor: String?) async throws -> GenerationsPage {
        let records = try await self.store.list(accountID: accountID, limit: limit + 1, before: cursor)
        let page = Array(records.prefix(limit))
        return GenerationsPage(records: page, nextCursor: records.count > limit ? page.last?.id : nil)
    }

    public func readOutput(_ image: OutputImage, into consume: (ByteBuffer) async throws -> Void) async throws {
        guard let output = try await self.outputs.get(id: image.outputID) else { throw BlobError.notFound(image.outputID) }
        try await self.blobs.read(key: output.blobKey, into: consume)
    }

    // MARK: - Run (worker)

    /// Runs one generation to its end (see `GenerationRunner`). Safe to call again for the same id, at once or after
    /// a crash: the lease and the guarded settlement make sure it runs and settles exactly once.
    @discardableResult
    func process(_ id: String, logger: Logger) async -> GenerationRunner.Result {
        await self.runner.run(id, logger: logger)
    }
}

/// Submitting a generation: the checks that may refuse it, then the hold, the row and the queue, in that order.
extension GenerationService {
    /// Holds the money and persists the job. Everything that can reject the request happens before the hold, so a
    /// rejected request never moves money. With an `idempotencyKey`, a repeat of the same request within 24 hours
    /// returns the first generation (never a second one or a second charge); the same key with another request is
    /// a 409.
    func submit(
        _ parameters: GenerateParameters,
        model: ModelSpec,
        accountID: String,
        apiKeyID: String?,
        keyRateLimits: KeyRateLimits? = nil,
        idempotencyKey: String? = nil,
        names: ParameterNames = .native,
        logger: Logger
    ) async throws -> CreatedGeneration {
        // Every request counts against the key's requests per minute, replays included; a refusal comes first of all.
        let rates = try await self.takeRequest(apiKeyID: apiKeyID, own: keyRateLimits)
        let fingerprint = IdempotencyStore.fingerprint(parameters)
        if let key = idempotencyKey,
            let existing = try await self.idempotency.find(accountID: accountID, key: key, now: self.settings.clock.nowMillis())
        {
            var replayed = try await self.replay(existing, fingerprint: fingerprint)
            replayed.rateLimit = rates.status
            return replayed
        }
        let price = MicroUSD(micros: model.pricePerImageMicros)
        let imagesLimit = rates.limits.first { $0.kind == .images }
        if let imagesLimit, parameters.numImages > imagesLimit.perMinute {
            // Waiting would never help: the request alone is more than the key's quota for a minute.
            throw RequestError.invalid(
                names["num_images"],
                "\(names["num_images"]) is \(parameters.numImages) and this key may make \(imagesLimit.perMinute) images per minute."
            )
        }
        // What is cheap first: a request the caller cannot pay for never makes the server fetch or decode anything.
        // (The hold below checks again, atomically; this only spares the work.)
        try await self.checkAffordable(
            price * parameters.numImages,
            accountID: accountID,
            apiKeyID: apiKeyID,
            images: (parameters.numImages, imagesLimit)
        )
        if let webhookURL = parameters.webhookURL { try await self.checkWebhook(webhookURL, name: names["webhook_url"]) }
        let references =
            parameters.mode == .edit
            ? try await self.references.load(
                parameters.imageURLs,
                rules: model.referenceImages,
                list: names["image_urls"],
                caller: apiKeyID ?? accountID
            )
            : []
        let (ratio, pixelSize) = try Self.resolveSize(parameters, model: model, firstReference: references.first, names: names)

        let id = Identifier.make("gen")
        var referenceKeys: [String] = []
        for (index, reference) in references.enumerated() {
            let key = OutputStore.referenceKey(generationID: id, index: index)
            _ = try await self.blobs.put(key: key, bytes: reference.bytes)
            referenceKeys.append(key)
        }

        let seed = parameters.seed ?? Int64.random(in: 0...2_147_483_647)
        let record = GenerationRecord(
            id: id,
            accountID: accountID,
            apiKeyID: apiKeyID,
            model: model.id,
            mode: parameters.mode,
            status: .queued,
            provider: self.provider.name,
            request: StoredRequest(
                parameters: Self.forStorage(parameters),
                seed: seed,
                resolvedAspectRatio: ratio,
                pixelSize: pixelSize,
                referenceKeys: referenceKeys,
                referenceSources: parameters.imageURLs.map(Self.shorten),
                seedHonoured: nil
            ),
            numImages: parameters.numImages,
            seed: seed,
            pricePerImage: price,
            upstreamCost: .zero,
            hold: price * parameters.numImages,
            charged: .zero,
            refunded: .zero,
            images: [],
            attempts: 0,
            createdAt: self.settings.clock.nowMillis()
        )
        var rateLimit = rates.status
        do {
            let imagesStatus = try await self.database.transaction { [store = self.store] sql -> RateLimitStatus? in
                if let apiKeyID { try await KeyLimits.check(keyID: apiKeyID, adding: record.hold, now: record.createdAt, on: sql) }
                // Images are taken from the bucket with the hold: a refused or failed hold takes none.
                let imagesStatus =
                    if let apiKeyID, let imagesLimit {
                        try await RateLimits.take(parameters.numImages, of: imagesLimit, keyID: apiKeyID, now: record.createdAt, on: sql)
                    } else {
                        nil as RateLimitStatus?
                    }
                try await Ledger.hold(record.hold, account: accountID, generation: id, on: sql)
                try await store.insert(record, on: sql)
                if let key = idempotencyKey {
                    try await IdempotencyStore.claim(
                        accountID: accountID,
                        key: key,
                        requestHash: fingerprint,
                        generationID: id,
                        now: record.createdAt,
                        on: sql
                    )
                }
                return imagesStatus
            }
            if let imagesStatus { rateLimit = imagesStatus.tighter(than: rateLimit) }
        } catch {
            for key in referenceKeys { try? await self.blobs.delete(key: key) }
            // A concurrent request with the same Idempotency-Key won the race: answer with its generation.
            if let key = idempotencyKey,
                let existing = try await self.idempotency.find(accountID: accountID, key: key, now: self.settings.clock.nowMillis())
            {
                return try await self.replay(existing, fingerprint: fingerprint)
            }
            if let error = error as? BillingError, let refusal = RequestError(error) { throw refusal }
            throw error
        }
        logger.info(
            "generation queued",
            metadata: ["generation": "\(id)", "images": "\(parameters.numImages)", "hold_micros": "\(record.hold.micros)"]
        )
        GenerationMetrics.recordMoney("hold", micros: record.hold.micros)
        if !self.queue.enqueue(id, requestID: logger.requestID), self.database.dialect == .postgres {
            // Every worker here is busy: an idle one on another replica takes it now. Best effort, off the request's
            // path (a database slow to answer must not delay the 202): the sweeper wakes them within an interval anyway.
            let database = self.database
            Task { try? await database.read { sql in try await sql.announce(.workAvailable) } }
        }
        var created = CreatedGeneration(record: record, replayed: false)
        created.rateLimit = rateLimit
        return created
    }

    func replay(_ entry: IdempotencyStore.Entry, fingerprint: String) async throws -> CreatedGeneration {
        guard entry.requestHash == fingerprint else { throw RequestError.idempotencyKeyReused() }
        guard let record = try await self.store.get(id: entry.generationID) else { throw RequestError.idempotencyKeyReused() }
        return CreatedGeneration(record: record, replayed: true)
    }

}

/// Waiting for a generation to change or end, woken by the hub and reading the row again on a poll.
extension GenerationService {
    /// Waits up to `timeout` for a generation to end and returns it as it then is.
    func waitForEnd(_ id: String, timeout: Duration) async throws -> GenerationRecord? {
        try await self.watch(id, timeout: timeout, poll: Self.endPollInterval) {
            try await self.store.get(id: id)
        } until: {
            $0.status.isFinal
        }
    }

    /// Reads a generation with `read` until `isDone` holds for it or `timeout` passes, and returns it as it then is
    /// (nil when there is no such row). Registers with the hub before each read, so an end that happens in between is
    /// not missed. The hub is woken by this process's runs and, on PostgreSQL, by every replica's (NOTIFY); the row is
    /// read again every `poll` as well, so a change nobody announces (a run starting) or an end whose notification was
    /// lost (a listener reconnecting) is seen within that interval rather than at the timeout.
    func watch(
        _ id: String,
        timeout: Duration,
        poll: Duration,
        read: () async throws -> GenerationRecord?,
        until isDone: (GenerationRecord) -> Bool
    ) async throws -> GenerationRecord? {
        let deadline = ContinuousClock.now + timeout
        while true {
            await self.hub.prepare(id)
            let record: GenerationRecord?
            do {
                record = try await read()
            } catch {
                await self.hub.discard(id)
                throw error
            }
            let left = deadline - ContinuousClock.now
            guard let record, !isDone(record), left > .zero else {
                await self.hub.discard(id)
                return record
            }
            _ = await self.hub.wait(for: id, timeout: min(left, poll))
        }
    }

    /// How often a waiter reads its generation again without being woken.
    static let endPollInterval = Duration.seconds(1)
}

/// The checks a request passes before any money is held (balance, key limits, rate limits, webhook address) and
/// the sizes and stored form it resolves to.
extension GenerationService {
    /// Refuses, before any work, a request the account's available balance or the key's limits cannot take.
    func checkAffordable(
        _ hold: MicroUSD,
        accountID: String,
        apiKeyID: String?,
        images: (count: Int, limit: RateLimit?) = (0, nil)
    ) async throws {
        do {
            try await self.database.read { sql in
                let now = self.settings.clock.nowMillis()
                if let apiKeyID, let limit = images.limit { try await RateLimits.check(images.count, of: limit, keyID: apiKeyID, now: now, on: sql) }
                let (available, _) = try await Ledger.balances(account: accountID, on: sql)
                guard available >= hold else { throw BillingError.insufficientBalance(available: available, required: hold) }
                if let apiKeyID { try await KeyLimits.check(keyID: apiKeyID, adding: hold, now: now, on: sql) }
            }
        } catch let error as BillingError {
            throw RequestError(error) ?? error
        }
    }

    /// The key's rate limits, and one request taken from its requests-per-minute bucket (refused with
    /// `rate_limited` when it is empty). Keys without limits cost nothing when the front door read their own
    /// limits (`own`) with the key, one read otherwise.
    func takeRequest(apiKeyID: String?, own: KeyRateLimits?) async throws -> (limits: [RateLimit], status: RateLimitStatus?) {
        guard let apiKeyID else { return ([], nil) }
        let own = if let own { own } else { try await self.database.read { sql in try await RateLimits.own(keyID: apiKeyID, on: sql) } }
        let limits = RateLimits.limits(own: own, defaults: self.settings.defaultRateLimits)
        guard let requests = limits.first(where: { $0.kind == .requests }) else { return (limits, nil) }
        do {
            let now = self.settings.clock.nowMillis()
            let status = try await self.database.transaction { sql in try await RateLimits.take(1, of: requests, keyID: apiKeyID, now: now, on: sql) }
            return (limits, status)
        } catch let error as BillingError {
            throw RequestError(error) ?? error
        }
    }

    /// Refuses a webhook URL whose host does not resolve or resolves to an address the policy forbids (loopback,
    /// private, metadata), before any money is held. Checked again at each delivery: DNS can change in between.
    func checkWebhook(_ url: String, name: String) async throws(RequestError) {
        guard let parsed = URL(string: url) else { throw .invalid(name, "\(name) must be an absolute http(s) URL.") }
        do {
            _ = try await self.webhookPolicy.target(of: parsed, on: self.references.threadPool)
        } catch {
            switch error {
            case .notHTTP: throw .invalid(name, "\(name) must be an absolute http(s) URL.")
            case .unresolvable(let host): throw .invalid(name, "\(name): the host \(host) could not be resolved.")
            case .notPublic: throw .invalid(name, "\(name) points to a private or local network address, which is not allowed.")
            }
        }
    }

    /// `auto` is 1:1 for generate, and for edit the table ratio nearest to the first reference.
    static func resolveSize(
        _ parameters: GenerateParameters,
        model: ModelSpec,
        firstReference: ReferenceImage?,
        names: ParameterNames = .native
    ) throws(RequestError) -> (String, PixelSize) {
        var ratio = parameters.aspectRatio
        if ratio == "auto" {
            if let first = firstReference {
                ratio = model.nearestAspectRatio(width: first.probe.width, height: first.probe.height, tier: parameters.size) ?? "1:1"
            } else {
                ratio = "1:1"
            }
        }
        guard let size = model.pixelSize(tier: parameters.size, aspectRatio: ratio) else {
            throw .invalid(names["aspect_ratio"], "No pixel size is defined for \(ratio) at \(parameters.size).")
        }
        return (ratio, size)
    }

    /// Data URIs can be megabytes; the stored request keeps only their head.
    static func forStorage(_ parameters: GenerateParameters) -> GenerateParameters {
        var copy = parameters
        copy.imageURLs = parameters.imageURLs.map(Self.shorten)
        return copy
    }

    static func shorten(_ source: String) -> String {
        source.hasPrefix("data:") && source.count > 64 ? String(source.prefix(48)) + "…(\(source.utf8.count) bytes)" : source
    }
}
