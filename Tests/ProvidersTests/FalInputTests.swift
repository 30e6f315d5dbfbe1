import Catalog
import Foundation
import Testing

@testable import Imaging
@testable import Providers

/// What fal is sent for a request.
@Suite struct FalInputTests {
    static func request(mode: GenerationMode, references: [ReferenceImage]) throws -> ProviderRequest {
        ProviderRequest(
            generationID: "gen_1",
            model: try #require(try ModelCatalog.bundled().model("seedream-5-lite")),
            mode: mode,
            prompt: "a mug",
            aspectRatio: "16:9",
            resolvedAspectRatio: "16:9",
            sizeTier: "2K",
            pixelSize: PixelSize(width: 2848, height: 1600),
            numImages: 2,
            seed: 7,
            outputFormat: .png,
            references: references,
            startedAtMillis: 0
        )
    }

    @Test func editReferencesAreTheCheckedBytesNeverTheUsersURL() throws {
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]
        let reference = ReferenceImage(
            source: "https://example.com/changes-later.jpg",
            bytes: bytes,
            probe: ImageProbe(format: .jpeg, width: 64, height: 64)
        )
        let input = try JSONSerialization.jsonObject(with: Data(FalProvider.input(for: try Self.request(mode: .edit, references: [reference]))))
        let urls = (input as? [String: Any])?["image_urls"] as? [String]
        #expect(urls == ["data:image/jpeg;base64,\(Data(bytes).base64EncodedString())"])
    }

    @Test func generateSendsTheExactPixelSizeAndNoSeed() throws {
        let input =
            try JSONSerialization.jsonObject(with: Data(FalProvider.input(for: try Self.request(mode: .generate, references: [])))) as? [String: Any]
        #expect((input?["image_size"] as? [String: Int]) == ["width": 2848, "height": 1600])
        #expect(input?["num_images"] as? Int == 2 && input?["seed"] == nil && input?["image_urls"] == nil)
    }
}
