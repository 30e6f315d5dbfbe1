import Catalog
import Foundation
import Imaging

/// Whether a generation starts from text alone or from reference images.
package enum GenerationMode: String, Sendable, Codable, CaseIterable {
    case generate
    case edit
}

/// A reference image for edit mode: where the user said it is, and its bytes once fetched and validated.
package struct ReferenceImage: Sendable {
    /// The URL or data URI as the user sent it, for the record only: upstreams receive `bytes`, the copy ImageGate
    /// checked, never a URL that could answer something else later.
    package let source: String
    package let bytes: [UInt8]
    package let probe: ImageProbe

    package init(source: String, bytes: [UInt8], probe: ImageProbe) {
        self.source = source
        self.bytes = bytes
        self.probe = probe
    }
}

/// Everything a provider needs to make the images of one generation, already validated and resolved.
package struct ProviderRequest: Sendable {
    package let generationID: String
    package let model: ModelSpec
    package let mode: GenerationMode
    package let prompt: String
    /// The ratio the user asked for, possibly `auto`.
    package let aspectRatio: String
    /// The ratio actually rendered (never `auto`).
    package let resolvedAspectRatio: String
    package let sizeTier: String
    package let pixelSize: PixelSize
    package let numImages: Int
    package let seed: Int64
    package let outputFormat: ImageFormat
    package let references: [ReferenceImage]
    /// When the generation first started running (Unix milliseconds): an upstream's deadline counts from here, not
    /// from the latest restart, so restarts never extend it.
    package let startedAtMillis: Int64
    /// The provider the generation was recorded with: a saved upstream handle belongs to it, whatever runs the
    /// model now.
    package let recordedProvider: String?
    /// The route of the generation's latest attempt (nil before its first): a saved handle is that route's to follow.
    package let recordedRoute: String?

    package init(
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
        startedAtMillis: Int64,
        recordedProvider: String? = nil,
        recordedRoute: String? = nil
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
        self.recordedProvider = recordedProvider
        self.recordedRoute = recordedRoute
    }
}

extension ProviderRequest {
    /// The generation's deadline on this process's clock: `limit` after it first started, so restarts never extend
    /// it (asynchronous suppliers: fal, Replicate).
    package func deadline(after limit: Duration) -> ContinuousClock.Instant {
        let elapsed = Duration.milliseconds(max(0, Int64(Date().timeIntervalSince1970 * 1000) - self.startedAtMillis))
        return ContinuousClock.now + limit - elapsed
    }
}
