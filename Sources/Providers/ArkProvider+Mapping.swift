import Catalog
import Foundation
import Imaging
import Logging

/// Between ImageGate's requests and errors and Ark's JSON and HTTP answers (docs: upstreams.md §3, §7.1).
extension ArkProvider {
    /// Ark's codes (in a 429 or a 5xx) that say the work was never started.
    static let notStartedCodes: Set<String> = [
        "RateLimitExceeded.EndpointRPMExceeded", "ModelAccountRpmRateLimitExceeded", "ModelAccountIpmRateLimitExceeded", "QuotaExceeded",
        "SetLimitExceeded", "ServerOverloaded", "RequestBurstTooFast", "InflightBatchsizeExceeded",
    ]

    /// Ark's body: `model`, `prompt`, the exact pixel size (or the tier where the size is under Ark's minimum),
    /// never a watermark, URLs as the answer, references as data URIs of ImageGate's checked copies (lowercase
    /// format, as Ark requires), and sequential generation for more than one image.
    static func body(for request: ProviderRequest, configuration: ArkConfiguration) -> [UInt8] {
        let pixels = request.pixelSize.width * request.pixelSize.height
        var fields: [String: Any] = [
            "model": configuration.model,
            "prompt": request.prompt,
            "size": pixels >= configuration.minPixels ? "\(request.pixelSize.width)x\(request.pixelSize.height)" : request.sizeTier,
            "watermark": false,
            "response_format": "url",
            "stream": false,
        ]
        if configuration.outputFormats.contains(request.outputFormat.rawValue) { fields["output_format"] = request.outputFormat.rawValue }
        if configuration.sendsSeed { fields["seed"] = request.seed }
        if request.mode == .edit {
            fields["image"] = request.references.map { reference in
                "data:\(reference.probe.format.contentType.lowercased());base64,\(Data(reference.bytes).base64EncodedString())"
            }
        }
        if request.numImages > 1 {
            fields["sequential_image_generation"] = "auto"
            fields["sequential_image_generation_options"] = ["max_images": request.numImages]
        } else {
            fields["sequential_image_generation"] = "disabled"
        }
        return Array((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// Sorts an HTTP answer into "read it", "try again" and "stop", with the error for the last two (§7.1's table).
    static func verdict(_ response: SupplierResponse, images: Int) -> SupplierVerdict {
        if response.status == 200 { return .answer }
        let info = (try? JSONDecoder().decode(ArkWire.ErrorBody.self, from: Data(response.body)))?.error
        let code = info?.code ?? ""
        let upstreamType = code.isEmpty ? "http_\(response.status)" : code
        let said = info?.message ?? "HTTP \(response.status)"
        switch response.status {
        case 429,
            500...599 where Self.notStartedCodes.contains(code):
            return .busy(response, said: said, upstreamType: upstreamType)
        case 401, 403, 404,
            400 where code.hasPrefix("InvalidEndpoint"):
            return .routeRefused(response, said: said, upstreamType: upstreamType)
        case 400..<500 where Self.isContentPolicy(code):
            return .flagged(response, upstreamType: code)
        case 400..<500:
            return .requestRefused(response, said: said, upstreamType: upstreamType)
        default:
            // A 500 (or a proxy's 502/504) after the request was written: it may have run, and been billed.
            return .lostAfterSending(response, upstreamType: upstreamType, images: images)
        }
    }

    /// The images of a 200: those delivered, even when fewer than asked (the rest are refunded by the engine).
    func outcome(_ response: SupplierResponse, request: ProviderRequest) throws(ProviderError) -> ProviderOutcome {
        guard let answer = try? JSONDecoder().decode(ArkWire.Response.self, from: Data(response.body)) else {
            throw ProviderError(
                code: .outcomeUnknown,
                message: "The upstream answered with an unreadable body; it was not sent again.",
                upstreamType: "unreadable_answer",
                upstreamDetail: response.text,
                billedImages: request.numImages
            )
        }
        let items = answer.data ?? []
        let contentType = configuration.outputFormats.contains(request.outputFormat.rawValue) ? request.outputFormat.contentType : nil
        let images: [ProviderImage] = items.compactMap { item in
            guard let url = item.url, !url.isEmpty else { return nil }
            let size = Self.dimensions(item.size)
            return .remote(url: url, contentType: contentType, width: size?.width, height: size?.height)
        }
        let failures = items.compactMap(\.error) + (answer.error.map { [$0] } ?? [])
        if !failures.isEmpty {
            self.logger.notice(
                "ark delivered fewer images than asked",
                metadata: ["asked": "\(request.numImages)", "delivered": "\(images.count)", "codes": "\(failures.compactMap(\.code))"]
            )
        }
        guard images.isEmpty else {
            return ProviderOutcome(
                images: images,
                seed: self.configuration.sendsSeed ? request.seed : nil,
                seedHonoured: self.configuration.sendsSeed
            )
        }
        // Nothing delivered: say why, and record what Ark says it billed (nothing, unless its usage says otherwise).
        let billed = max(0, answer.usage?.generatedImages ?? 0)
        if let code = failures.compactMap(\.code).first(where: Self.isContentPolicy) {
            throw ProviderError.contentPolicy(upstreamType: code, detail: response.text, billed: billed)
        }
        throw ProviderError(
            code: .upstreamFailed,
            message: "The upstream returned no image\(failures.first?.message.map { ": \($0)" } ?? ".")",
            upstreamType: failures.first?.code ?? "empty_output",
            upstreamDetail: response.text,
            billedImages: billed
        )
    }

    /// Ark's moderation codes: `SensitiveContentDetected(.*)`, `{Input,Output}{Text,Image}SensitiveContentDetected(.*)`,
    /// Volcengine's `*RiskDetection`.
    static func isContentPolicy(_ code: String) -> Bool {
        code.contains("SensitiveContentDetected") || code.hasSuffix("RiskDetection")
    }

    /// `"2048x2048"` as a width and a height.
    static func dimensions(_ text: String?) -> PixelSize? {
        guard let parts = text?.split(separator: "x"), parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]) else { return nil }
        return PixelSize(width: width, height: height)
    }
}
