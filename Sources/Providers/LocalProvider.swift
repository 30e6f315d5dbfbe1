import Catalog
import Crypto
import Imaging
import NIOPosix

/// The embedded engine: renders a deterministic procedural preview with libvips. It needs no network and no
/// account, and it is always named `local` in responses; it is a stand-in for the model, never presented as it.
package struct LocalProvider: ImageProvider {
    package let name = "local"
    private let threadPool: NIOThreadPool

    package init(threadPool: NIOThreadPool = .singleton) {
        self.threadPool = threadPool
    }

    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 { 0 }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        var images: [ProviderImage] = []
        let referenceDigest = Self.digest(request.references.map(\.bytes))
        for index in 0..<request.numImages {
            // A cancel stops the work between images; images already rendered are dropped with it (the local engine
            // costs nothing, and the owner asked for none).
            if await context.cancelRequested() {
                throw ProviderError(code: .cancelled, message: "Cancelled by its owner; the whole hold was returned.")
            }
            let spec = PreviewSpec(
                prompt: request.prompt,
                variation: Self.variation(request, index: index, referenceDigest: referenceDigest),
                width: request.pixelSize.width,
                height: request.pixelSize.height,
                references: request.references.map(\.bytes),
                format: request.outputFormat,
                footer: "ImageGate local preview engine · seed \(request.seed) · image \(index + 1)/\(request.numImages)"
            )
            do {
                // libvips work is CPU-bound and blocking: keep it off the async executors.
                let bytes = try await self.threadPool.runIfActive { try PreviewRenderer.render(spec) }
                images.append(.bytes(bytes, contentType: request.outputFormat.contentType, width: spec.width, height: spec.height))
            } catch {
                throw ProviderError(code: .engineError, message: "The local engine could not render the image.", upstreamDetail: "\(error)")
            }
        }
        return ProviderOutcome(images: images, seed: request.seed, seedHonoured: true)
    }

    /// Everything that must change the picture, hashed: prompt, seed, size, ratio, references and the image's index.
    static func variation(_ request: ProviderRequest, index: Int, referenceDigest: [UInt8]) -> UInt64 {
        var hasher = SHA256()
        hasher.update(
            data: Array("\(request.prompt)\u{0}\(request.seed)\u{0}\(request.sizeTier)\u{0}\(request.resolvedAspectRatio)\u{0}\(index)".utf8)
        )
        hasher.update(data: referenceDigest)
        return hasher.finalize().prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    static func digest(_ references: [[UInt8]]) -> [UInt8] {
        var hasher = SHA256()
        for reference in references { hasher.update(data: SHA256.hash(data: reference).map { $0 }) }
        return Array(hasher.finalize())
    }
}
