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

/// The one way a generation ends. In one transaction: its row is ended under its guard, what was delivered is
/// charged and the rest of the hold goes back (released after a delivery or its owner's cancel, refunded after a
/// failure), its outputs and its webhook event are written, and its end is announced to every replica. Then its
/// references are deleted and its waiters and the webhook dispatcher woken.
///
/// Every end comes through here: a run's (completed, failed, cancelled while running, resumed after a crash:
/// `settleRun`) and the cancel of a generation nobody has claimed yet (`cancelQueued`). The repositories only write
/// the rows; the money and the outbox move here, and only when the guarded write touched the row.
package struct Settlement: UsesGenerationDependencies, Sendable {
    let dependencies: GenerationDependencies

    /// An image a run delivered: what the generation shows of it, and its stored output.
    package typealias Delivered = (image: OutputImage, output: OutputRecord)

    /// Ends the generation of the run `owner` with what it delivered: charges delivered images and returns the rest.
    /// `cancelled`: no image came back because the owner cancelled it (the hold is released, not refunded as a
    /// failure). Only while the generation is still `processing` under this run's lease; nil otherwise (another run
    /// took it over or ended it first), in which case nothing was written and no money moved.
    package func settleRun(
        _ record: GenerationRecord,
        delivered: [Delivered],
        cancelled: Bool,
        owner: String,
        logger: Logger
    ) async throws -> GenerationRecord? {
        let now = self.settings.clock.nowMillis()
        var ended = record
        ended.status = !delivered.isEmpty ? .completed : cancelled ? .cancelled : .failed
        ended.images = delivered.map(\.image)
        ended.charged = ended.pricePerImage * delivered.count
        ended.refunded = ended.hold - ended.charged
        ended.completedAt = now
        // On a whole second: the link's signed `expires` (seconds) and the response's `expires_at` are then the same
        // instant, the one the output route enforces.
        ended.expiresAt = delivered.isEmpty ? nil : (now + self.settings.retentionMillis + 999) / 1000 * 1000
        if !delivered.isEmpty && delivered.count < ended.numImages {
            ended.errorCode = "partial_delivery"
            ended.errorMessage = "\(ended.numImages - delivered.count) of \(ended.numImages) images could not be delivered and were refunded."
        }
        let final = ended
        return try await self.settle(now: now, delivered: delivered) { [store = self.store] sql in
            guard try await store.finish(final, owner: owner, on: sql) else { return nil }
            try await store.closeAttempt(of: final, now: now, on: sql)
            return final
        } recorded: { final in
            GenerationMetrics.recordDuration(milliseconds: now - final.createdAt, provider: final.provider, outcome: final.status.rawValue)
            GenerationMetrics.stored(images: delivered.count, bytes: delivered.reduce(0) { $0 + $1.image.byteCount })
            logger.info(
                "generation ended",
                metadata: [
                    "status": "\(final.status.rawValue)", "charged_micros": "\(final.charged.micros)",
                    "returned_micros": "\(final.refunded.micros)", "upstream_cost_micros": "\(final.upstreamCost.micros)",
                ]
            )
        }
    }

    /// Ends a generation that is still `queued` as `cancelled`, releasing the whole hold. The guard on `queued` makes
    /// it exclusive with a worker's claim. Nil when it was not queued (a run claimed it first, it ended, or it is not
    /// the account's), in which case nothing was written.
    func cancelQueued(id: String, accountID: String) async throws -> GenerationRecord? {
        let now = self.settings.clock.nowMillis()
        return try await self.settle(now: now, delivered: []) { [store = self.store] sql in
            try await store.cancelQueued(id: id, accountID: accountID, now: now, on: sql)
        }
    }

    /// What goes back of a hold after this end (see `GenerationStatus.returnKind`).
    static func returnKind(_ status: GenerationStatus) -> LedgerKind { status.returnKind }

    /// The settlement proper. `end` writes the generation's end under its guard and returns it as ended, or nil when
    /// the guard refused (then nothing else is written). `recorded` runs after the commit, before anyone is woken.
    private func settle(
        now: Int64,
        delivered: [Delivered],
        end: @escaping @Sendable (any SQLDatabase) async throws -> GenerationRecord?,
        recorded: (GenerationRecord) -> Void = { _ in }
    ) async throws -> GenerationRecord? {
        let settled = try await self.database.transaction(priority: .urgent) { [outputs = self.outputs] sql -> GenerationRecord? in
            guard let final = try await end(sql) else { return nil }
            for (image, output) in delivered {
                try await outputs.insert(
                    output,
                    index: image.index,
                    width: image.width,
                    height: image.height,
                    createdAt: now,
                    expiresAt: final.expiresAt ?? now,
                    on: sql
                )
            }
            try await Ledger.settle(
                charge: final.charged,
                returned: final.refunded,
                returnKind: Self.returnKind(final.status),
                account: final.accountID,
                generation: final.id,
                on: sql
            )
            try await sql.announceEnd(final.id)
            // The event exists exactly when the settlement does: a crash after the commit never loses it.
            if let url = final.request.parameters.webhookURL, let event = final.status.webhookEvent {
                try await WebhookOutbox.enqueue(generationID: final.id, accountID: final.accountID, event: event, url: url, now: now, on: sql)
            }
            return final
        }
        guard let settled else { return nil }
        GenerationMetrics.ended(settled)
        GenerationMetrics.recordMoney("charge", micros: settled.charged.micros)
        GenerationMetrics.recordMoney(Self.returnKind(settled.status).rawValue, micros: settled.refunded.micros)
        recorded(settled)
        for key in settled.request.referenceKeys { try? await self.blobs.delete(key: key) }
        await self.hub.signal(settled.id)
        await self.webhookBell.ring()
        return settled
    }
}
