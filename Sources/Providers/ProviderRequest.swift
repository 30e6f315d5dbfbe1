import Catalog
import Imaging

/// Whether a generation starts from text alone or from reference images.
public enum GenerationMode: String, Sendable, Codable, CaseIterable {
    case generate
    case edit
}

/// A reference image for edit mode: where the user said it is, and its bytes once fetched and validated.
public struct ReferenceImage: Sendable {
    /// The URL or data URI as the user sent it, for the record only: upstreams receive `bytes`, the copy ImageGate
    /// checked, never a URL that could answer something else later.
    public let source: String
    public let bytes: [UInt8]
    public let probe: ImageProbe

    public init(source: String, bytes: [UInt8], probe: ImageProbe) {
        self.source = source
        self.bytes = bytes
        self.probe = probe
    }
}

/// Everything a provider needs to make the images of one generation, already validated and resolved.
public struct ProviderRequest: Sendable {
    public let generationID: String
    public let model: ModelSpec
    public let mode: GenerationMode
    public let prompt: String
    /// The ratio the user asked for, possibly `auto`.
    public let aspectRatio: String
    /// The ratio actually rendered (never `auto`).
    public let resolvedAspectRatio: String
    public let sizeTier: String
    public let pixelSize: PixelSize
    public let numImages: Int
    public let seed: Int64
    public let outputFormat: ImageFormat
    public let references: [ReferenceImage]
    /// When the generation first started running (Unix milliseconds): an upstream's deadline counts from here, not
    /// from the latest restart, so restarts never extend it.
    public let startedAtMillis: Int64

    public init(
        generationID: String,
        model: ModelSpec,
        mode: GenerationMode,
        prompt: String,
        aspectRatio: String,
        resolvedAspectRatio: String,
        sizeTier: String,
        pixelSize: PixelSize,
        numImages: Int,
        seed: Int64,
        outputFormat: ImageFormat,
        references: [ReferenceImage],
        startedAtMillis: Int64
    ) {
        self.generationID = generationID
        self.model = model
        self.mode = mode
        self.prompt = prompt
        self.aspectRatio = aspectRatio
        self.resolvedAspectRatio = resolvedAspectRatio
        self.sizeTier = sizeTier
        self.pixelSize = pixelSize
        self.numImages = numImages
        self.seed = seed
        self.outputFormat = outputFormat
        self.references = references
        self.startedAtMillis = startedAtMillis
    }
}
