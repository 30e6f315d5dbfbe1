import AsyncHTTPClient
import Catalog
import CoreMetrics
import Foundation
import Imaging
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Between ImageGate's requests and errors and fal's JSON and HTTP answers.
extension FalProvider {
    /// fal's input for a request: Seedream's exact pixel size (or `auto_2K`/`auto_3K`), the image count and the
    /// references. References are always ImageGate's checked copies, sent as data URIs: a user's URL could answer
    /// fal with something else than what ImageGate validated. fal's v5-lite has no seed input, so there the seed is not
    /// sent (and recorded as not honoured); Seedream 4.x endpoints take it (`sendsSeed`).
    static func input(for request: ProviderRequest, sendsSeed: Bool = false) -> [UInt8] {
        var fields: [String: Any] = [
            "prompt": request.prompt,
            "num_images": request.numImages,
            "enable_safety_checker": true,
        ]
        if sendsSeed { fields["seed"] = request.seed }
        if request.aspectRatio == "auto" {
            fields["image_size"] = "auto_\(request.sizeTier)"
        } else {
            fields["image_size"] = ["width": request.pixelSize.width, "height": request.pixelSize.height]
        }
        if request.mode == .edit {
            fields["image_urls"] = request.references.map { reference in
                "data:\(reference.probe.format.contentType);base64,\(Data(reference.bytes).base64EncodedString())"
            }
        }
        return Array((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// Turns fal's error answers into ImageGate's, keeping fal's message and type for the record.
    static func httpFailure(_ response: FalResponse, during operation: String) -> ProviderError {
        let body = try? JSONDecoder().decode(FalWire.ErrorBody.self, from: Data(response.body))
        let errorType = body?.errorType ?? response.errorTypeHeader
        if body?.types.contains("content_policy_violation") == true {
            return .contentPolicy(upstreamType: "content_policy_violation", detail: response.text)
        }
        let message = body?.messages.first ?? "HTTP \(response.status)"
        return ProviderError(
            code: .upstreamFailed,
            message: "The upstream failed during \(operation): \(message)",
            upstreamType: errorType ?? body?.types.first ?? "http_\(response.status)",
            upstreamDetail: response.text
        )
    }
}
