import Testing

@testable import Imaging

/// Thumbnails of outputs: small, the right shape, and never made from what is not a JPEG, PNG or WebP.
@Suite struct ThumbnailTests {
    @Test(arguments: [(2848, 1600, 256, 144), (1600, 2848, 144, 256)])
    func fitsInsideTheSideAndStaysSmall(width: Int, height: Int, thumbWidth: Int, thumbHeight: Int) throws {
        let spec = PreviewSpec(prompt: "a lighthouse", variation: 3, width: width, height: height, references: [], format: .png, footer: "t")
        let bytes = try Thumbnail.jpeg(of: PreviewRenderer.render(spec))
        let probe = try ImageProbe.inspect(bytes, decodePixels: true)
        #expect(probe.format == .jpeg)
        #expect(probe.width == thumbWidth && probe.height == thumbHeight)
        #expect(bytes.count < 30_000)
    }

    @Test func whatIsNotAnImageWeReadIsRefusedBeforeLibvipsSeesIt() {
        #expect(throws: ImagingError.self) { try Thumbnail.jpeg(of: Array("<svg xmlns='http://www.w3.org/2000/svg'/>".utf8)) }
    }
}
