import Foundation
import ImageGateTestSupport
import ImagingTestSupport
import Testing

/// Reference images a stranger may send to make libvips parse what it should not, or decode what it cannot hold:
/// each is a 400 naming the image, with no money moved.
@Suite struct HostileImageTests {
    static let samples: [HostileImages.Sample] = {
        HostileImages.foreignFormats + [
            HostileImages.Sample(name: "truncated PNG", bytes: try! HostileImages.truncatedPNG()),
            HostileImages.Sample(name: "PNG claiming 60000×60000", bytes: try! HostileImages.pngClaiming(width: 60_000, height: 60_000)),
            HostileImages.Sample(
                name: "JPEG claiming 4096×4096 over 64×64 of data",
                bytes: try! HostileImages.jpegClaiming(width: 4096, height: 4096)
            ),
        ]
    }()

    @Test(arguments: samples)
    func hostileReferenceImagesAreRefusedByName(_ sample: HostileImages.Sample) async throws {
        // The media type claims PNG whatever the bytes are: the bytes decide.
        let uri = "data:image/png;base64,\(Data(sample.bytes).base64EncodedString())"
        let body = try ImageGateTestSupport.body(set: ["mode": "edit", "image_urls": [HostileImages.validDataURI(), uri]])
        try await ParameterValidationTests.expectRejectedBeforeAnyCharge(
            .init(name: sample.name, body: body, status: .badRequest, code: "invalid_parameter", param: "image_urls[1]")
        )
    }
}
