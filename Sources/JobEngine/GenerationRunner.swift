import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Generation
import Imaging
import Logging
import NIOCore
import Providers
import Storage

/// Runs one generation from its claim to its settlement, as one straight line:
/// claim (lease) → decide from what was saved → provider → store outputs → settle → signal waiters.
///
/// Exactly once, upstream and in the books:
/// - A run works only under its own lease, renewed while it works (`LeaseKeeper`); every write it makes is guarded
///   by that lease, so two runs of one generation can never both submit, both save a handle, or both settle.
/// - A generation with a saved upstream handle is always resumed through it, however often it was interrupted.
/// - A generation whose submit may have reached the upstream but whose handle was never saved is never submitted
///   again: it fails, the user is refunded, and what the upstream may bill is recorded as the operator's loss.
/// - A run interrupted by shutdown (or by losing its lease) ends without settling; the next run resumes it.
/// - A run whose settlement fails leaves the generation to a later run after a pause that doubles each time; after
///   `maxSettleFailures` the generation fails and is refunded without asking the upstream again.
struct GenerationRunner: UsesEngineDependencies, Sendable {
    let dependencies: EngineDependencies

    /// How a run ended, for the worker and the tests.
    enum Result: Sendable, Equatable {
        /// Settled (completed or failed) by this run.
        case settled(GenerationStatus)
        /// Nothing to do: already final, or another run holds the lease.
        case notClaimed
        /// Stopped before settling (shutdown, lost lease, database error); a later run resumes it.
        case interrupted
        /// The settlement could not be written: the generation waits (longer after each failure) for a later run.
        case settlementFailed
    }

    /// A generation a run of this process has just claimed, under the lease of `owner`.
    struct Claim: Sendable {
        let record: GenerationRecord
        let owner: String
    }

    /// Claims generation `id` and runs it (tests, and a caller that must run one given generation).
    @discardableResult
    func run(_ id: String, logger: Logger) async -> Result {
        let owner = Identifier.make("run")
        do {
            let now = self.settings.clock.nowMillis()
            let takeover = await self.clockSkew.takeover(now: now, store: self.store, logger: logger)
            guard
                let claimed = try await self.store.claim(id: id, owner: owner, now: now, leaseMillis: self.settings.leaseMillis, takeover: takeover)
            else { return .notClaimed }
            return await self.run(Claim(record: claimed, owner: owner), logger: logger)
        } catch {
            // The sweeper wakes the workers while a queued generation waits, so a failed claim is retried.
            logger.error("generation could not be claimed", metadata: ["generation": "\(id)", "error": "\(error)"])
            return .interrupted
        }
    }

    /// Claims the oldest generation nobody runs, on any replica's behalf. Nil when there is none (or the claim
    /// failed: the next wake-up tries again).
    func claimNext(logger: Logger) async -> Claim? {
        let owner = Identifier.make("run")
        do {
            let now = self.settings.clock.nowMillis()
            let takeover = await self.clockSkew.takeover(now: now, store: self.store, logger: logger)
            let claimed = try await self.store.claimNext(owner: owner, now: now, leaseMillis: self.settings.leaseMillis, takeover: takeover)
            return claimed.map { Claim(record: $0, owner: owner) }
        } catch {
            if !Task.isCancelled { logger.error("no generation could be claimed", metadata: ["error": "\(error)"]) }
            return nil
        }
    }

    /// Runs a claimed generation under its lease, to its settlement or its interruption.
    func run(_ claim: Claim, logger: Logger) async -> Result {
        let (record, owner, id) = (claim.record, claim.owner, claim.record.id)
        var logger = logger
        logger[metadataKey: "generation"] = "\(id)"
        let workLogger = logger
        let result = await LeaseKeeper.holding(leaseMillis: self.settings.leaseMillis, clock: self.settings.clock) {
            [store = self.store, settings = self.settings] in
            do {
                let renewed = try await store.renewLease(id: id, owner: owner, until: settings.clock.nowMillis() + settings.leaseMillis)
                return renewed ? .renewed : .lost
            } catch {
                workLogger.warning("lease renewal failed; trying again", metadata: ["error": "\(error)"])
                return .failed
            }
        } _: {
            await self.work(record, owner: owner, logger: workLogger)
        }
        if result == .settlementFailed {
            let failures = record.settleFailures
            let pause = min(self.settings.settleBackoffMillis << min(failures, 20), self.settings.leaseMillis)
            do {
                try await Task { [store = self.store, clock = self.settings.clock] in
                    try await store.deferAfterFailedSettlement(id: id, owner: owner, until: clock.nowMillis() + pause)
                }.value
            } catch {
                logger.warning("failed settlement not counted; the generation resumes when its lease expires", metadata: ["error": "\(error)"])
            }
            logger.notice(
                "generation not settled; it is tried again later",
                metadata: ["settle_failures": "\(failures + 1)", "pause_ms": "\(pause)"]
            )
        } else if result == .interrupted {
            do {
                // In a task of its own: this run's task is usually cancelled (shutdown), and the database calls
                // refuse to start in a cancelled task.
                try await Task { [store = self.store] in try await store.releaseLease(id: id, owner: owner) }.value
            } catch {
                logger.warning("lease not given back; the generation resumes when it expires", metadata: ["error": "\(error)"])
            }
            logger.notice("generation interrupted; it resumes later")
        }
        return result
    }

    /// The run proper, under the lease.
    func work(_ claimed: GenerationRecord, owner: String, logger: Logger) async -> Result {
        var record = claimed
        let failure: ProviderError?
        var delivered: [Settlement.Delivered] = []
        if record.settleFailures >= self.settings.maxSettleFailures {
            // Asking the upstream again would give the same answer the books refused: end it with a plain record.
            failure = ProviderError(
                code: .upstreamFailed,
                message: "The generation could not be completed.",
                upstreamType: "settle_failed",
                upstreamDetail: "\(record.settleFailures) settlements failed (see the log)",
                billedImages: record.upstreamHandle == nil ? 0 : record.numImages
            )
        } else if record.upstreamHandle == nil, record.upstreamSubmitAt != nil {
            failure = ProviderError(
                code: .outcomeUnknown,
                message: "The generation was interrupted while it was being sent upstream; it was not sent again.",
                upstreamType: "interrupted_submit",
                billedImages: record.numImages
            )
        } else if record.upstreamHandle == nil, record.attempts > self.settings.maxAttempts {
            failure = ProviderError(code: .upstreamFailed, message: "The generation was interrupted too many times.")
        } else {
            let route = AttemptBox()
            let result: Swift.Result<ProviderOutcome, ProviderError>
            do {
                result = .success(try await self.generate(record, owner: owner, route: route, logger: logger))
            } catch {
                result = .failure(error)
            }
            route.apply(to: &record)
            switch result {
            case .failure(let error) where error.code == .interrupted:
                return .interrupted
            case .failure(let error):
                failure = error
            case .success(let outcome):
                if let seed = outcome.seed { record.seed = seed }
                record.request.seedHonoured = outcome.seedHonoured
                record.upstreamCost = record.upstreamCost + self.upstreamCost(record, images: outcome.images.count)
                delivered = await self.storeOutputs(outcome.images, of: record, logger: logger)
                failure = delivered.isEmpty ? ProviderError(code: .upstreamFailed, message: "No image could be delivered.") : nil
            }
        }
        // Cancelled mid-download (shutdown, lost lease): what was stored is not the whole answer; resume later.
        if Task.isCancelled { return .interrupted }
        if let failure {
            record.upstreamError = Self.upstreamErrorJSON(failure)
            record.upstreamCost = record.upstreamCost + self.upstreamCost(record, images: failure.billedImages)
            record.errorCode = failure.generationErrorCode
            record.errorMessage = failure.message
            logger.warning(
                "generation failed",
                metadata: [
                    "code": "\(failure.code)", "upstream_type": "\(failure.upstreamType ?? "-")", "detail": "\(failure.upstreamDetail ?? "-")",
                    "upstream_billed_images": "\(failure.billedImages)",
                ]
            )
        }
        do {
            let cancelled = failure?.code == .cancelled
            guard
                let settled = try await self.settlement.settleRun(record, delivered: delivered, cancelled: cancelled, owner: owner, logger: logger)
            else { return .interrupted }
            return .settled(settled.status)
        } catch {
            logger.error("generation could not be settled", metadata: ["error": "\(error)"])
            return .settlementFailed
        }
    }

    /// Calls the provider with what was saved: its upstream handle to follow, and the hooks that save progress
    /// under this run's lease.
    /// `route` learns each attempt's route as it begins, so the cost and the provider recorded at the end are those
    /// of the route that ran it.
    func generate(
        _ record: GenerationRecord,
        owner: String,
        route: AttemptBox = AttemptBox(),
        logger: Logger = Logger(label: "imagegate")
    ) async throws(ProviderError) -> ProviderOutcome {
        let request = try await self.providerRequest(for: record)
        let saved = record.upstreamRequestID.flatMap { requestID in record.upstreamHandle.map { UpstreamHandle(requestID: requestID, data: $0) } }
        // Read from the books, so a cancel asked of any replica reaches the run wherever it is.
        let cancel = CancelCheck { [store = self.store] in (try? await store.isCancelRequested(id: record.id)) ?? false }
        let context = ProviderContext(resume: saved) { [store = self.store] in
            try await store.markSubmitting(id: record.id, owner: owner, at: self.settings.clock.nowMillis())
        } cancelRequested: { [cancel] in
            await cancel.requested()
        } queuePosition: { [store = self.store] position in
            // A hint for watchers only: losing one (a busy database, a lost lease) must never fail the generation.
            try? await store.setQueuePosition(position, id: record.id, owner: owner)
        } attempt: { [store = self.store, clock = self.settings.clock] attempt in
            try await store.beginAttempt(attempt, id: record.id, owner: owner, now: clock.nowMillis())
            route.set(attempt)
        } attemptFailed: { [store = self.store, clock = self.settings.clock] attempt, error in
            let cost = attempt.costPerImage * Int64(error.billedImages)
            try await store.failAttempt(
                id: record.id,
                owner: owner,
                code: error.attemptOutcome,
                reason: error.message,
                cost: cost,
                now: clock.nowMillis()
            )
            route.carry(cost)
            GenerationMetrics.failedOver(model: record.model, route: attempt.route, outcome: error.attemptOutcome)
            logger.warning(
                "generation moves to the next route",
                metadata: ["route": "\(attempt.route)", "outcome": "\(error.attemptOutcome)", "reason": "\(error.message)"]
            )
        } record: { [store = self.store] handle in
            try await store.setUpstream(handle, for: record.id, owner: owner)
        }
        return try await self.provider.generate(request, context: context)
    }

    /// Stores each image; an image that cannot be stored is simply not delivered (and so not charged).
    func storeOutputs(_ images: [ProviderImage], of record: GenerationRecord, logger: Logger) async -> [Settlement.Delivered] {
        var delivered: [Settlement.Delivered] = []
        for (index, image) in images.prefix(record.numImages).enumerated() {
            let outputID = Identifier.make("out")
            let blobKey = OutputStore.blobKey(generationID: record.id, index: index)
            do {
                let stored = try await self.mirror.store(image, key: blobKey, expectedFormat: record.request.parameters.outputFormat)
                let output = OutputRecord(
                    id: outputID,
                    generationID: record.id,
                    blobKey: blobKey,
                    contentType: stored.contentType,
                    byteCount: stored.byteCount,
                    etag: OutputRecord.etag(outputID: outputID),
                    // Set at settlement, from the same instant as the generation's `expires_at`.
                    expiresAt: 0,
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

    func providerRequest(for record: GenerationRecord) async throws(ProviderError) -> ProviderRequest {
        guard let model = self.catalog.model(record.model) else {
            throw ProviderError(code: .upstreamFailed, message: "The model is no longer in the catalog.")
        }
        var references: [ReferenceImage] = []
        for (index, key) in record.request.referenceKeys.enumerated() {
            var bytes: [UInt8] = []
            do {
                try await self.blobs.read(key: key) { bytes.append(contentsOf: $0.readableBytesView) }
            } catch {
                throw ProviderError(code: .upstreamFailed, message: "A reference image is no longer available.")
            }
            let probe: ImageProbe
            do {
                probe = try ImageProbe.inspect(bytes, decodePixels: false)
            } catch {
                throw ProviderError(code: .upstreamFailed, message: "A stored reference image could not be read.")
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
            references: references,
            startedAtMillis: record.startedAt ?? self.settings.clock.nowMillis(),
            recordedProvider: record.provider,
            recordedRoute: record.route
        )
    }

    /// What the upstream bills for `images` images of this generation: at the price of the route quoted when it was
    /// asked for (the route may have changed since), else at today's.
    func upstreamCost(_ record: GenerationRecord, images: Int) -> MicroUSD {
        guard images > 0 else { return .zero }
        if let quoted = record.request.upstreamPricePerImage { return MicroUSD(micros: quoted) * images }
        guard let model = self.catalog.model(record.model) else { return .zero }
        return MicroUSD(micros: self.provider.upstreamCostPerImage(model, size: record.request.parameters.size)) * images
    }

    static func upstreamErrorJSON(_ error: ProviderError) -> String? {
        guard error.upstreamType != nil || error.upstreamDetail != nil else { return nil }
        let fields = ["type": error.upstreamType ?? "", "detail": String((error.upstreamDetail ?? "").prefix(4096))]
        return (try? JSONEncoder().encode(fields)).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { self.indices.contains(index) ? self[index] : nil }
}
