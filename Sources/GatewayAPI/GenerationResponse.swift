import Billing
import Blobs
import Generation
import Imaging
import Providers

/// The JSON body of a generation, in `POST /v1/generate`, `GET /v1/generations/{id}` and lists.
/// It carries the product page's fields first, then the details a client needs to use and audit the result.
struct GenerationResponse: Encodable {
    struct Image: Encodable {
        let url: String
        let width: Int
        let height: Int
        let contentType: String

        enum CodingKeys: String, CodingKey {
            case url, width, height
            case contentType = "content_type"
        }
    }

    struct ErrorBody: Encodable {
        let code: String
        let message: String
    }

    let record: GenerationRecord
    let images: [Image]

    /// Builds the response, signing a link for each stored image.
    init(_ record: GenerationRecord, links: OutputLinks) {
        self.record = record
        self.images = record.images.map { image in
            Image(
                url: links.url(outputID: image.outputID, contentType: image.contentType, expiresAt: record.expiresAt ?? 0),
                width: image.width,
                height: image.height,
                contentType: image.contentType
            )
        }
    }

    enum CodingKeys: String, CodingKey {
        case generationID = "generation_id"
        case status, model, mode, provider, prompt
        case estimatedCost = "estimated_cost_usd"
        case outputURL = "output_url"
        case durationMillis = "duration_ms"
        case outputURLs = "output_urls"
        case images, seed
        case cost = "cost_usd"
        case refunded = "refunded_usd"
        case aspectRatio = "aspect_ratio"
        case resolvedAspectRatio = "resolved_aspect_ratio"
        case size
        case numImages = "num_images"
        case outputFormat = "output_format"
        case createdAt = "created_at"
        case completedAt = "completed_at"
        case expiresAt = "expires_at"
        case code, message, error
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        let r = self.record
        try c.encode(r.id, forKey: .generationID)
        try c.encode(r.status.rawValue, forKey: .status)
        try c.encode(r.model, forKey: .model)
        try c.encode(r.mode.rawValue, forKey: .mode)
        try c.encode(r.estimatedCost, forKey: .estimatedCost)
        try c.encode(self.images.first?.url, forKey: .outputURL)
        try c.encode(r.durationMillis, forKey: .durationMillis)
        try c.encode(self.images.map(\.url), forKey: .outputURLs)
        try c.encode(self.images, forKey: .images)
        try c.encode(r.seed, forKey: .seed)
        try c.encode(r.charged, forKey: .cost)
        try c.encode(r.refunded, forKey: .refunded)
        try c.encode(r.provider, forKey: .provider)
        try c.encode(r.request.parameters.prompt, forKey: .prompt)
        try c.encode(r.request.parameters.aspectRatio, forKey: .aspectRatio)
        try c.encode(r.request.resolvedAspectRatio, forKey: .resolvedAspectRatio)
        try c.encode(r.request.parameters.size, forKey: .size)
        try c.encode(r.numImages, forKey: .numImages)
        try c.encode(r.request.parameters.outputFormat.rawValue, forKey: .outputFormat)
        try c.encode(APITime.string(r.createdAt), forKey: .createdAt)
        try c.encode(APITime.string(r.completedAt), forKey: .completedAt)
        try c.encode(APITime.string(r.expiresAt), forKey: .expiresAt)
        if let code = r.errorCode {
            let body = ErrorBody(code: code, message: r.errorMessage ?? "")
            try c.encode(body, forKey: .error)
            if r.status == .failed {
                // A failed generation is also an error response: keep the error shape's top-level fields.
                try c.encode(body.code, forKey: .code)
                try c.encode(body.message, forKey: .message)
            }
        } else {
            try c.encodeNil(forKey: .error)
        }
    }
}

/// Signs output links against the public base URL.
public struct OutputLinks: Sendable {
    let signer: OutputLinkSigner
    let baseURL: String

    public init(signer: OutputLinkSigner, baseURL: String) {
        self.signer = signer
        self.baseURL = baseURL
    }

    func url(outputID: String, contentType: String, expiresAt: Int64) -> String {
        let ext = contentType == "image/jpeg" ? "jpg" : contentType == "image/webp" ? "webp" : "png"
        return self.signer.url(base: self.baseURL, outputID: outputID, fileExtension: ext, expires: (expiresAt + 999) / 1000)
    }
}
