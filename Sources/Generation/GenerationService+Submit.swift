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
        // A store that just refused a write for want of space could neither hold, keep images nor settle: refuse
        // before anything is taken, fetched or held (503 storage_full), until space is back.
        try StorageFullError.checkRoom(database: self.database, blobs: self.blobs)
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
        // The model's contract accepted it; the supplier chosen for the model may still do less (sizes, references).
        if let refusal = self.provider.refusal(
            for: model,
            size: parameters.size,
            references: parameters.imageURLs.count,
            images: parameters.numImages
        ) {
            let name = names[refusal.parameter]
            throw RequestError.invalid(name, "\(name) \(refusal.reason)")
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
            provider: self.provider.providerName(for: model),
            request: StoredRequest(
                parameters: Self.forStorage(parameters),
                seed: seed,
                resolvedAspectRatio: ratio,
                pixelSize: pixelSize,
                referenceKeys: referenceKeys,
                referenceSources: parameters.imageURLs.map(Self.shorten),
                seedHonoured: nil,
                idempotencyKey: idempotencyKey,
                upstreamPricePerImage: self.provider.upstreamCostPerImage(model, size: parameters.size)
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
            // A COMMIT whose answer was lost (a dropped connection) may have committed: read back before undoing
            // anything, or a created generation would lose its references and fail later, refunded.
            let created = await self.readBack(id)
            if created != true {
                // Unknown: the files are kept; the janitor's orphan search deletes them if no row ever points at them.
                if created == false { for key in referenceKeys { try? await self.blobs.delete(key: key) } }
                // A concurrent request with the same Idempotency-Key won the race: answer with its generation.
                if let key = idempotencyKey,
                    let existing = try await self.idempotency.find(accountID: accountID, key: key, now: self.settings.clock.nowMillis())
                {
                    return try await self.replay(existing, fingerprint: fingerprint)
                }
                if let error = error as? BillingError, let refusal = RequestError(error) { throw refusal }
                throw error
            }
            logger.warning("the hold's commit answered with an error, but it committed; going on", metadata: ["error": "\(error)"])
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

    /// Whether generation `id` exists: nil when the database cannot say.
    func readBack(_ id: String) async -> Bool? {
        do {
            return try await self.store.get(id: id) != nil
        } catch {
            return nil
        }
    }

    func replay(_ entry: IdempotencyStore.Entry, fingerprint: String) async throws -> CreatedGeneration {
        guard entry.requestHash == fingerprint else { throw RequestError.idempotencyKeyReused() }
        guard let record = try await self.store.get(id: entry.generationID) else { throw RequestError.idempotencyKeyReused() }
        return CreatedGeneration(record: record, replayed: true)
    }

}
