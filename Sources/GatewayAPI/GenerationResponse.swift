import Billing
import Blobs
import Essentials
import Generation
import Imaging
import Providers

/// The JSON body of a generation, in `POST /v1/generate`, `GET /v1/generations/{id}` and lists.
/// It carries the product page's fields first, in the page's order, then the details a client needs to use and
/// audit the result. Written by `OrderedJSONEncoder`: fields in this order, empty ones as `null`.
struct GenerationResponse: Encodable {
    struct Image: Encodable {
        let url: String
        let width: Int
        let height: Int
        let contentType: String
        /// A small JPEG of it (`GET /v1/thumbnails/{file}`), signed and expiring with `url`.
        let thumbnailURL: String

        enum CodingKeys: String, CodingKey {
            case url, width, height, contentType
            case thumbnailURL = "thumbnail_url"
        }
    }

    struct ErrorBody: Encodable {
        let code: String
        let message: String
    }

    let generationID: String
    let status: String
    let model: String
    let mode: String
    let estimatedCostUsd: MicroUSD
    let outputURL: String?
    let durationMs: Int64?
    let outputURLs: [String]
    let images: [Image]
    let seed: Int64
    let costUsd: MicroUSD
    let refundedUsd: MicroUSD
    let provider: String
    let prompt: String
    let aspectRatio: String
    let resolvedAspectRatio: String
    let size: String
    let numImages: Int
    let outputFormat: String
    let createdAt: String?
    let completedAt: String?
    let expiresAt: String?
    /// While the upstream queues it: how many requests are ahead of it; null otherwise.
    let queuePosition: Int?
    let error: ErrorBody?
    /// A failed or cancelled generation is also an error response: it keeps the error shape's top-level fields.
    var code: Omittable<String>
    var message: Omittable<String>
    /// The webhook's delivery, where the owner looks at one generation (never inside a webhook's own body).
    var webhook: Omittable<WebhookBody> = .omitted
    /// Its attempts on the model's suppliers, where the owner looks at one generation: which protocol and how each
    /// ended (a failover shows as an attempt that ended `not_started` or `route_unusable`). Route names, upstream
    /// ids and costs are the operator's (the admin API), never shown here.
    var attempts: Omittable<[Attempt]> = .omitted

    /// One attempt, as its owner sees it.
    struct Attempt: Encodable {
        let provider: String
        /// nil while it runs.
        let outcome: String?

        init(_ record: AttemptRecord) {
            self.provider = record.provider
            self.outcome = record.outcome
        }
    }

    /// In the order of the properties: the synthesized encoder writes the keys in this order.
    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id"
        case status, model, mode, estimatedCostUsd
        case outputURL = "output_url"
        case durationMs
        case outputURLs = "output_urls"
        case images, seed, costUsd, refundedUsd, provider, prompt
        case aspectRatio, resolvedAspectRatio, size, numImages, outputFormat, createdAt, completedAt, expiresAt, queuePosition, error, code, message,
            webhook, attempts
    }

    /// Builds the response, signing a link for each stored image.
    init(_ record: GenerationRecord, links: OutputLinks) {
        let images = record.images.map { image in
            Image(
                url: links.url(outputID: image.outputID, contentType: image.contentType, expiresAt: record.expiresAt ?? 0),
                width: image.width,
                height: image.height,
                contentType: image.contentType,
                thumbnailURL: links.thumbnailURL(outputID: image.outputID, expiresAt: record.expiresAt ?? 0)
            )
        }
        self.generationID = record.id
        self.status = record.status.rawValue
        self.model = record.model
        self.mode = record.mode.rawValue
        self.estimatedCostUsd = record.estimatedCost
        self.outputURL = images.first?.url
        self.durationMs = record.durationMillis
        self.outputURLs = images.map(\.url)
        self.images = images
        self.seed = record.seed
        self.costUsd = record.charged
        self.refundedUsd = record.refunded
        self.provider = record.provider
        self.prompt = record.request.parameters.prompt
        self.aspectRatio = record.request.parameters.aspectRatio
        self.resolvedAspectRatio = record.request.resolvedAspectRatio
        self.size = record.request.parameters.size
        self.numImages = record.numImages
        self.outputFormat = record.request.parameters.outputFormat.rawValue
        self.createdAt = APITime.string(record.createdAt)
        self.completedAt = APITime.string(record.completedAt)
        self.expiresAt = APITime.string(record.expiresAt)
        self.queuePosition = record.status == .processing ? record.queuePosition : nil
        let error = record.errorCode.map { ErrorBody(code: $0, message: record.errorMessage ?? "") }
        self.error = error
        let failed = record.status == .failed || record.status == .cancelled ? error : nil
        self.code = Omittable(failed?.code)
        self.message = Omittable(failed?.message)
    }
}

/// Signs output links against the public base URL.
package struct OutputLinks: Sendable {
    let signer: OutputLinkSigner
    let baseURL: String

    package init(signer: OutputLinkSigner, baseURL: String) {
        self.signer = signer
        self.baseURL = baseURL
    }

    func url(outputID: String, contentType: String, expiresAt: Int64) -> String {
        self.signer.url(base: self.baseURL, outputID: outputID, fileExtension: Self.fileExtension(contentType), expires: (expiresAt + 999) / 1000)
    }

    func thumbnailURL(outputID: String, expiresAt: Int64) -> String {
        self.signer.thumbnailURL(base: self.baseURL, outputID: outputID, expires: (expiresAt + 999) / 1000)
    }

    /// The file extension of an output's links and download name.
    static func fileExtension(_ contentType: String) -> String {
        contentType == "image/jpeg" ? "jpg" : contentType == "image/webp" ? "webp" : "png"
    }
}
