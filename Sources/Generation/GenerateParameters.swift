import Catalog
import Imaging
import Providers

/// A `POST /v1/generate` body after validation: every default applied, every value within the catalog's ranges.
package struct GenerateParameters: Sendable, Equatable, Codable {
    package var model: String
    package var mode: GenerationMode
    package var prompt: String
    package var aspectRatio: String
    package var size: String
    package var numImages: Int
    /// The seed the caller gave, or nil when ImageGate picks one.
    package var seed: Int64?
    package var outputFormat: ImageFormat
    /// Reference images (edit mode): `http(s)://` URLs or `data:image/…;base64,` URIs.
    package var imageURLs: [String]
    /// Where to send the signed event when the generation ends (`http(s)://`); nil: no webhook.
    package var webhookURL: String? = nil

    package init(
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
