import Testing

@testable import Imaging

/// The local engine's pictures: exact sizes, both formats, determinism, references, and input probing.
@Suite struct PreviewRendererTests {
    func spec(_ variation: UInt64 = 1, width: Int = 320, height: Int = 180, format: ImageFormat = .png, references: [[UInt8]] = []) -> PreviewSpec {
        PreviewSpec(
            prompt: "a lighthouse at dusk",
            variation: variation,
            width: width,
            height: height,
            references: references,
            format: format,
            footer: "test"
        )
    }

    @Test(arguments: [(2848, 1600), (4704, 2016), (1600, 2848)])
    func rendersExactlyTheRequestedSize(width: Int, height: Int) throws {
        let bytes = try PreviewRenderer.render(self.spec(width: width, height: height))
        let probe = try ImageProbe.inspect(bytes, decodePixels: true)
        #expect(probe.format == .png)
        #expect(probe.width == width && probe.height == height)
    }

    @Test func rendersJPEG() throws {
        let probe = try ImageProbe.inspect(try PreviewRenderer.render(self.spec(format: .jpeg)), decodePixels: true)
        #expect(probe.format == .jpeg)
    }

    @Test func isDeterministic() throws {
        #expect(try PreviewRenderer.render(self.spec(7)) == PreviewRenderer.render(self.spec(7)))
        #expect(try PreviewRenderer.render(self.spec(7)) != PreviewRenderer.render(self.spec(8)))
    }

    @Test func composesReferences() throws {
        let reference = try PreviewRenderer.render(self.spec(3, width: 64, height: 64))
        let without = try PreviewRenderer.render(self.spec(5))
        let with = try PreviewRenderer.render(self.spec(5, references: [reference, reference]))
        #expect(without != with)
    }

    @Test func probeRefusesWhatIsNotAnImage() {
        #expect(throws: ImagingError.self) { try ImageProbe.inspect(Array("not an image".utf8), decodePixels: true) }
    }

    @Test func probeRefusesATruncatedImage() throws {
        let bytes = try PreviewRenderer.render(self.spec(width: 640, height: 480))
        #expect(throws: ImagingError.self) { try ImageProbe.inspect(Array(bytes.prefix(bytes.count / 2)), decodePixels: true) }
    }
}
