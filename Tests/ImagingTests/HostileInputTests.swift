import ImagingTestSupport
import Testing

@testable import Imaging

/// What libvips is allowed to see: only JPEG, PNG and WebP, recognised by their first bytes, each through its own
/// loader; a lying header is caught before (size) or while (truncation) decoding.
@Suite struct HostileInputTests {
    @Test(arguments: HostileImages.foreignFormats)
    func foreignFormatsAreRefusedOnTheirFirstBytes(_ sample: HostileImages.Sample) {
        #expect(InputImageFormat(magicBytes: sample.bytes) == nil)
        #expect {
            try ImageProbe.inspect(sample.bytes, decodePixels: false)
        } throws: { error in
            // Refused as a format: libvips was not asked.
            if case ImagingError.unsupportedFormat = error { return true }
            return false
        }
    }

    @Test func theThreeAcceptedFormatsAreRecognised() throws {
        #expect(InputImageFormat(magicBytes: try HostileImages.image(format: .png)) == .png)
        #expect(InputImageFormat(magicBytes: try HostileImages.image(format: .jpeg)) == .jpeg)
        #expect(InputImageFormat(magicBytes: Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .webp)
        #expect(InputImageFormat(magicBytes: Array("RIFF\0\0\0\0WAVEfmt ".utf8)) == nil)
    }

    @Test func aPNGClaiming60000SquaredIsMeasuredWithoutBeingDecoded() throws {
        let probe = try ImageProbe.inspect(try HostileImages.pngClaiming(width: 60_000, height: 60_000), decodePixels: false)
        #expect(probe.format == .png && probe.width == 60_000 && probe.height == 60_000)
    }

    @Test func aJPEGWhoseHeaderLiesFailsToDecode() throws {
        let bytes = try HostileImages.jpegClaiming(width: 4096, height: 4096)
        #expect(try ImageProbe.inspect(bytes, decodePixels: false).width == 4096)
        #expect(throws: ImagingError.self) { try ImageProbe.inspect(bytes, decodePixels: true) }
    }

    @Test func aTruncatedPNGFailsToDecode() throws {
        #expect(throws: ImagingError.self) { try ImageProbe.inspect(try HostileImages.truncatedPNG(), decodePixels: true) }
    }
}
