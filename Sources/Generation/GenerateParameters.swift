import Catalog
import Imaging
import Providers

/// A `POST /v1/generate` body after validation: every default applied, every value within the catalog's ranges.
public struct GenerateParameters: Sendable, Equatable, Codable {
    public var model: String
    public var mode: GenerationMode
    public var prompt: String
    public var aspectRatio: String
    public var size: String
    public var numImages: Int
    /// The seed the caller gave, or nil when ImageGate picks one.
    public var seed: Int64?
    public var outputFormat: ImageFormat
    /// Reference images (edit mode): `http(s)://` URLs or `data:image/…;base64,` URIs.
    public var imageURLs: [String]
    /// Where to send the signed event when the generation ends (`http(s)://`); nil: no webhook.
    public var webhookURL: String? = nil

    public init(
        model: String,
        mode: GenerationMode,
        prompt: String,
        aspectRatio: String,
        size: String,
        numImages: Int,
        seed: Int64?,
        outputFormat: ImageFormat,
        imageURLs: [String],
        webhookURL: String? = nil
    ) {
        self.model = model
        self.mode = mode
        self.prompt = prompt
        self.aspectRatio = aspectRatio
        self.size = size
        self.numImages = numImages
        self.seed = seed
        self.outputFormat = outputFormat
        self.imageURLs = imageURLs
        self.webhookURL = webhookURL
    }
}
