import Billing
import Catalog
import Imaging
import Providers

/// One stored image of a generation.
package struct OutputImage: Sendable, Codable, Equatable {
    package let outputID: String
    package let index: Int
    package let contentType: String
    package let width: Int
    package let height: Int
    package let byteCount: Int64

    package init(outputID: String, index: Int, contentType: String, width: Int, height: Int, byteCount: Int64) {
        self.outputID = outputID
        self.index = index
        self.contentType = contentType
        self.width = width
        self.height = height
        self.byteCount = byteCount
    }
}

/// What is persisted about a request between submit and the worker: the validated parameters plus what was
/// resolved from them (seed, pixel size, where the reference copies are kept).
package struct StoredRequest: Sendable, Codable, Equatable {
    package var parameters: GenerateParameters
    package var seed: Int64
    package var resolvedAspectRatio: String
    package var pixelSize: PixelSize
    /// Blob keys of the validated reference images, in order.
    package var referenceKeys: [String]
    /// The references as the user sent them (data URIs shortened), for the record.
    package var referenceSources: [String]
    package var seedHonoured: Bool?
    /// The caller's `Idempotency-Key`, kept with the generation it named so the books audit can see two generations
    /// under one key (the key's own row can name only one). Nil without a key, and in rows written before it was kept.
    package var idempotencyKey: String? = nil
    /// What the upstream bills per image, as quoted when the generation was asked for: the audit checks the
    /// recorded `upstream_cost` against it, whatever the catalog says later. Nil in rows written before it was kept.
    package var upstreamPricePerImage: Int64? = nil
}

/// A generation row: parameters, timings, images and money.
package struct GenerationRecord: Sendable, Equatable {
    package let id: String
    package let accountID: String
    package let apiKeyID: String?
    package let model: String
    package let mode: GenerationMode
    package var status: GenerationStatus
    package var provider: String
    package var request: StoredRequest
    package let numImages: Int
    package var seed: Int64
    package let pricePerImage: MicroUSD
    package var upstreamCost: MicroUSD
    package let hold: MicroUSD
    package var charged: MicroUSD
    package var refunded: MicroUSD
    package var images: [OutputImage]
    package var errorCode: String?
    package var errorMessage: String?
    package var upstreamRequestID: String?
    /// The provider's saved handle of its upstream request (opaque to the engine).
    package var upstreamHandle: String?
    /// When a submit to the upstream started; with no `upstreamHandle`, the submit may have reached the upstream.
    package var upstreamSubmitAt: Int64? = nil
    /// The upstream's own error type and words, for the operator (never shown raw to users).
    package var upstreamError: String?
    package var attempts: Int
    /// Runs that reached the settlement and could not write it (see `GenerationSettings.maxSettleFailures`).
    package var settleFailures: Int = 0
    package let createdAt: Int64
    package var startedAt: Int64?
    package var completedAt: Int64?
    package var expiresAt: Int64?
    /// While it waits in the upstream's queue: how many requests are ahead of it (when the upstream says).
    package var queuePosition: Int? = nil
    /// The route of its latest attempt (`generation_attempts`); nil before the first.
    package var route: String? = nil

    /// Where it stands, as a progress stream tells it.
    package var progress: GenerationProgress { GenerationProgress(status: self.status, queuePosition: self.queuePosition) }

    /// The cost if every requested image is delivered.
    package var estimatedCost: MicroUSD { self.pricePerImage * self.numImages }

    /// Wall time from submit to the end, once ended.
    package var durationMillis: Int64? { self.completedAt.map { $0 - self.createdAt } }
}

/// A generation's progress: its status and, while the upstream queues it, its place there.
package struct GenerationProgress: Sendable, Equatable {
    package var status: GenerationStatus
    package var queuePosition: Int?

    package init(status: GenerationStatus, queuePosition: Int? = nil) {
        self.status = status
        self.queuePosition = queuePosition
    }
}
