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

/// The path of one generation, as a straight line:
/// `submit`: validate → load references → hold → persist → queue; then `process` on a worker:
/// claim → provider → store outputs → settle (charge delivered, return the rest) → completed | failed.
/// Recovery after a crash calls the same `process`.
public final class GenerationService: Sendable {
    public let catalog: ModelCatalog
    public let validator: GenerateRequestValidator
    public let store: GenerationStore
    public let outputs: OutputStore
    public let idempotency: IdempotencyStore
    public let hub = CompletionHub()
    let database: any Database
    let references: ReferenceLoader
    let blobs: any BlobStore
    let provider: any ImageProvider
    let mirror: OutputMirror
    let queue: JobQueue
    let settings: GenerationSettings

    public init(
        catalog: ModelCatalog,
        database: any Database,
        blobs: any BlobStore,
        provider: any ImageProvider,
        references: ReferenceLoader,
        mirror: OutputMirror,
        queue: JobQueue,
        settings: GenerationSettings
    ) {
        self.catalog = catalog
        self.validator = GenerateRequestValidator(catalog: catalog)
        self.database = database
        self.store = GenerationStore(database: database)
        self.outputs = OutputStore(database: database)
        self.idempotency = IdempotencyStore(database: database)
        self.blobs = blobs
        self.provider = provider
        self.references = references
        self.mirror = mirror
        self.queue = queue
        self.settings = settings
    }

    public var providerName: String { self.provider.name }

    // MARK: - Submit

    /// What `submit` did: created a generation, or found the one an `Idempotency-Key` already names.
    public struct Submission: Sendable {
        public let record: GenerationRecord
        public let replayed: Bool
    }

    /// Holds the money and persists the job. Everything that can reject the request happens before the hold, so a
    /// rejected request never moves money. With an `idempotencyKey`, a repeat of the same request within 24 hours
    /// returns the first generation (never a second one or a second charge); the same key with another request is
    /// a 409.
    public func submit(
        _ parameters: GenerateParameters,
        model: ModelSpec,
        accountID: String,
        apiKeyID: String?,
        idempotencyKey: String? = nil,
        logger: Logger
    ) async throws -> Submission {
        let fingerprint = IdempotencyStore.fingerprint(parameters)
        if let key = idempotencyKey, let existing = try await self.idempotency.find(accountID: accountID, key: key) {
            return try await self.replay(existing, fingerprint: fingerprint)
        }
        let references = parameters.mode == .edit ? try await self.references.load(parameters.imageURLs, rules: model.referenceImages) : []
        let (ratio, pixelSize) = try Self.resolveSize(parameters, model: model, firstReference: references.first)

        let id = Identifier.make("gen")
        var referenceKeys: [String] = []
        for (index, reference) in references.enumerated() {
            let key = "inputs/\(id)/\(index)"
            _ = try await self.blobs.put(key: key, bytes: reference.bytes)
            referenceKeys.append(key)
        }

        let seed = parameters.seed ?? Int64.random(in: 0...2_147_483_647)
        let price = MicroUSD(micros: model.pricePerImageMicros)
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
            createdAt: Timestamp.nowMillis()
        )
        do {
            try await self.database.transaction { [store] sql in
                if let apiKeyID { try await KeyLimits.check(keyID: apiKeyID, adding: record.hold, now: record.createdAt, on: sql) }
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
            }
        } catch {
            for key in referenceKeys { try? await self.blobs.delete(key: key) }
            // A concurrent request with the same Idempotency-Key won the race: answer with its generation.
            if let key = idempotencyKey, let existing = try await self.idempotency.find(accountID: accountID, key: key) {
                return try await self.replay(existing, fingerprint: fingerprint)
            }
            if case BillingError.insufficientBalance(let available, let required) = error {
                throw RequestError.insufficientBalance(required: required.description, available: available.description)
            }
            throw error
        }
        logger.info(
            "generation queued",
            metadata: ["generation": "\(id)", "images": "\(parameters.numImages)", "hold_micros": "\(record.hold.micros)"]
        )
        GenerationMetrics.recordMoney("hold", micros: record.hold.micros)
        self.queue.enqueue(id, requestID: logger.requestID)
        return Submission(record: record, replayed: false)
    }

    func replay(_ entry: IdempotencyStore.Entry, fingerprint: String) async throws -> Submission {
        guard entry.requestHash == fingerprint else { throw RequestError.idempotencyKeyReused() }
        guard let record = try await self.store.get(id: entry.generationID) else { throw RequestError.idempotencyKeyReused() }
        return Submission(record: record, replayed: true)
    }

    /// Waits up to `timeout` for a generation to end and returns it as it then is. Registers with the hub before
    /// reading the row, so an end that happens in between is not missed.
    public func waitForEnd(_ id: String, timeout: Duration) async throws -> GenerationRecord? {
        await self.hub.prepare(id)
        if let record = try await self.store.get(id: id), record.status.isFinal {
            await self.hub.discard(id)
            return record
        }
        _ = await self.hub.wait(for: id, timeout: timeout)
        return try await self.store.get(id: id)
    }

    // MARK: - Process (worker)

    /// Runs one generation to its end. Safe to call again for the same id (after a crash, or twice by mistake):
    /// the claim and the guarded finish make sure it is settled exactly once.
    public func process(_ id: String, logger: Logger) async {
        var logger = logger
        logger[metadataKey: "generation"] = "\(id)"
        do {
            guard var record = try await self.store.claim(id: id, now: Timestamp.nowMillis(), leaseMillis: self.settings.leaseMillis) else { return }
            if record.attempts > self.settings.maxAttempts {
                record.errorCode = "generation_failed"
                record.errorMessage = "The generation was interrupted too many times."
                try await self.settle(&record, delivered: [], logger: logger)
                return
            }
            var delivered: [(OutputImage, OutputRecord)] = []
            do {
                let request = try await self.providerRequest(for: record)
                var saved: UpstreamHandle?
                if let requestID = record.upstreamRequestID, let data = record.upstreamHandle {
                    saved = UpstreamHandle(requestID: requestID, data: data)
                }
                let context = ProviderContext(resume: saved) { [store] handle in
                    try await store.setUpstream(handle, for: id)
                }
                let outcome = try await self.provider.generate(request, context: context)
                if let seed = outcome.seed { record.seed = seed }
                record.request.seedHonoured = outcome.seedHonoured
                record.upstreamCost = MicroUSD(micros: self.upstreamCostPerImage(record)) * outcome.images.count
                delivered = await self.storeOutputs(outcome.images, of: record, logger: logger)
                if delivered.isEmpty {
                    record.errorCode = "generation_failed"
                    record.errorMessage = "No image could be delivered."
                }
            } catch let error as ProviderError where error.code == "interrupted" {
                // Shutting down mid-generation: leave it unfinished; the next start resumes it.
                logger.notice("generation interrupted by shutdown; it resumes on the next start")
                return
            } catch let error as ProviderError {
                record.upstreamError = Self.upstreamErrorJSON(error)
                logger.warning(
                    "provider failed",
                    metadata: ["code": "\(error.code)", "upstream_type": "\(error.upstreamType ?? "-")", "detail": "\(error.upstreamDetail ?? "-")"]
                )
                record.errorCode = error.code == "content_policy_violation" ? error.code : "generation_failed"
                record.errorMessage = error.message
            }
            try await self.settle(&record, delivered: delivered, logger: logger)
        } catch {
            // The database itself failed; the generation stays unfinished and recovery picks it up on the next start.
            logger.error("generation could not be processed", metadata: ["error": "\(error)"])
        }
    }

    /// Ends the generation and moves the money in one transaction: charge delivered images, return the rest.
    func settle(_ record: inout GenerationRecord, delivered: [(OutputImage, OutputRecord)], logger: Logger) async throws {
        let now = Timestamp.nowMillis()
        record.status = delivered.isEmpty ? .failed : .completed
        record.images = delivered.map(\.0)
        record.charged = record.pricePerImage * delivered.count
        record.refunded = record.hold - record.charged
        record.completedAt = now
        record.expiresAt = delivered.isEmpty ? nil : now + self.settings.retentionMillis
        if !delivered.isEmpty && delivered.count < record.numImages {
            record.errorCode = "partial_delivery"
            record.errorMessage = "\(record.numImages - delivered.count) of \(record.numImages) images could not be delivered and were refunded."
        }
        let final = record
        let settled = try await self.database.transaction { [store, outputs] sql in
            guard try await store.finish(final, on: sql) else { return false }
            for (image, output) in delivered {
                try await outputs.insert(output, index: image.index, width: image.width, height: image.height, on: sql)
            }
            try await Ledger.settle(
                charge: final.charged,
                returned: final.refunded,
                returnKind: delivered.isEmpty ? .refund : .release,
                account: final.accountID,
                generation: final.id,
                on: sql
            )
            return true
        }
        if settled {
            GenerationMetrics.recordDuration(milliseconds: now - final.createdAt, provider: final.provider, outcome: final.status.rawValue)
            GenerationMetrics.recordMoney("charge", micros: final.charged.micros)
            GenerationMetrics.recordMoney(delivered.isEmpty ? "refund" : "release", micros: final.refunded.micros)
            GenerationMetrics.stored(images: delivered.count, bytes: delivered.reduce(0) { $0 + $1.0.byteCount })
            logger.info(
                "generation ended",
                metadata: [
                    "status": "\(final.status.rawValue)", "charged_micros": "\(final.charged.micros)", "returned_micros": "\(final.refunded.micros)",
                ]
            )
            for key in final.request.referenceKeys { try? await self.blobs.delete(key: key) }
        }
        await self.hub.signal(final.id)
    }

    /// Stores each image; an image that cannot be stored is simply not delivered (and so not charged).
    func storeOutputs(_ images: [ProviderImage], of record: GenerationRecord, logger: Logger) async -> [(OutputImage, OutputRecord)] {
        var delivered: [(OutputImage, OutputRecord)] = []
        let expiresAt = Timestamp.nowMillis() + self.settings.retentionMillis
        for (index, image) in images.prefix(record.numImages).enumerated() {
            let outputID = "out_" + Self.randomHex(bytes: 16)
            let blobKey = OutputStore.blobKey(generationID: record.id, index: index)
            do {
                let stored = try await self.mirror.store(
                    image,
                    key: blobKey,
                    expectedFormat: record.request.parameters.outputFormat
                )
                let output = OutputRecord(
                    id: outputID,
                    generationID: record.id,
                    blobKey: blobKey,
                    contentType: stored.contentType,
                    byteCount: stored.byteCount,
                    etag: stored.etag,
                    expiresAt: expiresAt,
                    deletedAt: nil
                )
                let info = OutputImage(
                    outputID: outputID,
                    index: index,
                    contentType: stored.contentType,
                    width: stored.width ?? record.request.pixelSize.width,
                    height: stored.height ?? record.request.pixelSize.height,
                    byteCount: stored.byteCount
                )
                delivered.append((info, output))
            } catch {
                logger.warning("output not delivered", metadata: ["index": "\(index)", "error": "\(error)"])
            }
        }
        return delivered
    }

    func providerRequest(for record: GenerationRecord) async throws -> ProviderRequest {
        guard let model = self.catalog.model(record.model) else {
            throw ProviderError(code: "generation_failed", message: "The model is no longer in the catalog.")
        }
        var references: [ReferenceImage] = []
        for (index, key) in record.request.referenceKeys.enumerated() {
            var bytes: [UInt8] = []
            do {
                try await self.blobs.read(key: key) { bytes.append(contentsOf: $0.readableBytesView) }
            } catch {
                throw ProviderError(code: "generation_failed", message: "A reference image is no longer available.")
            }
            let probe: ImageProbe
            do {
                probe = try ImageProbe.inspect(bytes, decodePixels: false)
            } catch {
                throw ProviderError(code: "generation_failed", message: "A stored reference image could not be read.")
            }
            references.append(ReferenceImage(source: record.request.referenceSources[safe: index] ?? key, bytes: bytes, probe: probe))
        }
        let parameters = record.request.parameters
        return ProviderRequest(
            generationID: record.id,
            model: model,
            mode: record.mode,
            prompt: parameters.prompt,
            aspectRatio: parameters.aspectRatio,
            resolvedAspectRatio: record.request.resolvedAspectRatio,
            sizeTier: parameters.size,
            pixelSize: record.request.pixelSize,
            numImages: record.numImages,
            seed: record.seed,
            outputFormat: parameters.outputFormat,
            references: references
        )
    }

    func upstreamCostPerImage(_ record: GenerationRecord) -> Int64 {
        guard self.provider.name == "fal" else { return 0 }
        return self.catalog.model(record.model)?.upstream.fal?.costPerImageMicros ?? 0
    }

    // MARK: - Helpers

    /// `auto` is 1:1 for generate, and for edit the table ratio nearest to the first reference.
    static func resolveSize(_ parameters: GenerateParameters, model: ModelSpec, firstReference: ReferenceImage?) throws(RequestError) -> (
        String, PixelSize
    ) {
        var ratio = parameters.aspectRatio
        if ratio == "auto" {
            if let first = firstReference {
                ratio = model.nearestAspectRatio(width: first.probe.width, height: first.probe.height, tier: parameters.size) ?? "1:1"
            } else {
                ratio = "1:1"
            }
        }
        guard let size = model.pixelSize(tier: parameters.size, aspectRatio: ratio) else {
            throw .invalid("aspect_ratio", "No pixel size is defined for \(ratio) at \(parameters.size).")
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

    static func upstreamErrorJSON(_ error: ProviderError) -> String? {
        guard error.upstreamType != nil || error.upstreamDetail != nil else { return nil }
        let fields = ["type": error.upstreamType ?? "", "detail": String((error.upstreamDetail ?? "").prefix(4096))]
        return (try? JSONEncoder().encode(fields)).map { String(decoding: $0, as: UTF8.self) }
    }

    static func randomHex(bytes: Int) -> String {
        (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max)) }.joined()
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { self.indices.contains(index) ? self[index] : nil }
}
