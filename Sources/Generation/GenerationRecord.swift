import Billing
import Catalog
import Imaging
import Providers

/// One stored image of a generation.
public struct OutputImage: Sendable, Codable, Equatable {
    public let outputID: String
    public let index: Int
    public let contentType: String
    public let width: Int
    public let height: Int
    public let byteCount: Int64
}

/// What is persisted about a request between submit and the worker: the validated parameters plus what was
/// resolved from them (seed, pixel size, where the reference copies are kept).
public struct StoredRequest: Sendable, Codable, Equatable {
    public var parameters: GenerateParameters
    public var seed: Int64
    public var resolvedAspectRatio: String
    public var pixelSize: PixelSize
    /// Blob keys of the validated reference images, in order.
    public var referenceKeys: [String]
    /// The references as the user sent them (data URIs shortened), for the record.
    public var referenceSources: [String]
    public var seedHonoured: Bool?
}

/// A generation row: parameters, timings, images and money.
public struct GenerationRecord: Sendable, Equatable {
    public let id: String
    public let accountID: String
    public let apiKeyID: String?
    public let model: String
    public let mode: GenerationMode
    public var status: GenerationStatus
    public let provider: String
    public var request: StoredRequest
    public let numImages: Int
    public var seed: Int64
    public let pricePerImage: MicroUSD
    public var upstreamCost: MicroUSD
    public let hold: MicroUSD
    public var charged: MicroUSD
    public var refunded: MicroUSD
    public var images: [OutputImage]
    public var errorCode: String?
    public var errorMessage: String?
    public var upstreamRequestID: String?
    /// The provider's saved handle of its upstream request (opaque to the engine).
    public var upstreamHandle: String?
    /// When a submit to the upstream started; with no `upstreamHandle`, the submit may have reached the upstream.
    public var upstreamSubmitAt: Int64? = nil
    /// The upstream's own error type and words, for the operator (never shown raw to users).
    public var upstreamError: String?
    public var attempts: Int
    public let createdAt: Int64
    public var startedAt: Int64?
    public var completedAt: Int64?
    public var expiresAt: Int64?
    /// While it waits in the upstream's queue: how many requests are ahead of it (when the upstream says).
    public var queuePosition: Int? = nil

    /// Where it stands, as a progress stream tells it.
    public var progress: GenerationProgress { GenerationProgress(status: self.status, queuePosition: self.queuePosition) }

    /// The cost if every requested image is delivered.
    public var estimatedCost: MicroUSD { self.pricePerImage * self.numImages }

    /// Wall time from submit to the end, once ended.
    public var durationMillis: Int64? { self.completedAt.map { $0 - self.createdAt } }
}

/// A generation's progress: its status and, while the upstream queues it, its place there.
public struct GenerationProgress: Sendable, Equatable {
    public var status: GenerationStatus
    public var queuePosition: Int?

    public init(status: GenerationStatus, queuePosition: Int? = nil) {
        self.status = status
        self.queuePosition = queuePosition
    }
}
