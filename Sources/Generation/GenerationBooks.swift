import Billing
import Essentials

/// One generation as the operator reads it (`GET /admin/v1/generations/{id}`, `imagegate generations show`): its
/// money, the route that ran it, and every attempt in full: upstream id, times, outcome, reason and what the upstream
/// bills. The owner's `GET /v1/generations/{id}` shows only each attempt's provider and outcome.
package struct GenerationBooks: Sendable, Encodable {
    /// One attempt on one route.
    package struct Attempt: Sendable, Encodable {
        package let attempt: Int
        package let route: String
        package let provider: String
        package let upstreamRequestId: String?
        package let startedAt: String
        /// nil while it runs.
        package let endedAt: String?
        package let outcome: String?
        package let reason: String?
        package let costPerImageUsd: MicroUSD
        package let upstreamCostUsd: MicroUSD
    }

    package let generationId: String
    package let accountId: String
    package let model: String
    package let status: String
    /// The route that ran (or runs) it; nil before its first attempt.
    package let route: String?
    package let provider: String
    package let numImages: Int
    package let imagesDelivered: Int
    package let heldUsd: MicroUSD
    package let chargedUsd: MicroUSD
    package let refundedUsd: MicroUSD
    /// The sum of its attempts' bills once it has ended.
    package let upstreamCostUsd: MicroUSD
    package let errorCode: String?
    package let errorMessage: String?
    /// The upstream's own words on the failure (type and detail), for the operator only.
    package let upstreamError: String?
    package let createdAt: String
    package let attempts: [Attempt]

    package init(_ record: GenerationRecord, attempts: [AttemptRecord]) {
        self.generationId = record.id
        self.accountId = record.accountID
        self.model = record.model
        self.status = record.status.rawValue
        self.route = record.route
        self.provider = record.provider
        self.numImages = record.numImages
        self.imagesDelivered = record.images.count
        self.heldUsd = record.hold
        self.chargedUsd = record.charged
        self.refundedUsd = record.refunded
        self.upstreamCostUsd = record.upstreamCost
        self.errorCode = record.errorCode
        self.errorMessage = record.errorMessage
        self.upstreamError = record.upstreamError
        self.createdAt = Timestamp.iso8601(record.createdAt)
        self.attempts = attempts.map { attempt in
            Attempt(
                attempt: attempt.attempt,
                route: attempt.route,
                provider: attempt.provider,
                upstreamRequestId: attempt.upstreamRequestID,
                startedAt: Timestamp.iso8601(attempt.startedAt),
                endedAt: attempt.endedAt.map(Timestamp.iso8601),
                outcome: attempt.outcome,
                reason: attempt.reason,
                costPerImageUsd: MicroUSD(micros: attempt.costPerImage),
                upstreamCostUsd: MicroUSD(micros: attempt.upstreamCost)
            )
        }
    }
}

extension GenerationStore {
    /// The operator's view of a generation (nil: no such generation).
    package func books(of id: String) async throws -> GenerationBooks? {
        guard let record = try await self.get(id: id) else { return nil }
        return GenerationBooks(record, attempts: try await self.attempts(of: id))
    }
}
