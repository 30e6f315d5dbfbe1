import Catalog
import Foundation
import Imaging

/// Between ImageGate's requests and errors and an OpenAI-compatible server's JSON and HTTP answers.
extension OpenAIProvider {
    /// The fields both routes take: the model, the prompt, `n`, the exact pixel size, and what the route accepts.
    static func fields(for request: ProviderRequest, configuration: OpenAIConfiguration) -> [(String, String)] {
        var fields = [
            ("model", configuration.model), ("prompt", request.prompt), ("n", "\(request.numImages)"),
            ("size", "\(request.pixelSize.width)x\(request.pixelSize.height)"),
        ]
        if configuration.outputFormats.contains(request.outputFormat.rawValue) { fields.append(("output_format", request.outputFormat.rawValue)) }
        if configuration.sendsSeed { fields.append(("seed", "\(request.seed)")) }
        if let format = configuration.responseFormat { fields.append(("response_format", format)) }
        return fields
    }

    static func json(for request: ProviderRequest, configuration: OpenAIConfiguration) -> [UInt8] {
        var object: [String: Any] = [:]
        for (name, value) in Self.fields(for: request, configuration: configuration) {
            object[name] = ["n", "seed"].contains(name) ? (Int(value) as Any) : value
        }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// `multipart/form-data` for `/images/edits`: the fields, then each reference as an `image[]` file.
    static func multipart(for request: ProviderRequest, configuration: OpenAIConfiguration, boundary: String) -> [UInt8] {
        var body: [UInt8] = []
        func text(_ string: String) { body.append(contentsOf: Array(string.utf8)) }
        for (name, value) in Self.fields(for: request, configuration: configuration) {
            text("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        for (index, reference) in request.references.enumerated() {
            let format = reference.probe.format
            text("--\(boundary)\r\nContent-Disposition: form-data; name=\"image[]\"; filename=\"reference-\(index).\(format.rawValue)\"\r\n")
            text("Content-Type: \(format.contentType)\r\n\r\n")
            body.append(contentsOf: reference.bytes)
            text("\r\n")
        }
        text("--\(boundary)--\r\n")
        return body
    }

    /// OpenAI's error classes: moderation final and shown, other 4xx final, a refused key or model the route's end,
    /// 429 and an overloaded server not started, any other 5xx an unknown outcome.
    static func verdict(_ response: SupplierResponse, images: Int) -> SupplierVerdict {
        if response.status == 200 { return .answer }
        let info = (try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)))?.error
        let code = info?.code ?? info?.type ?? "http_\(response.status)"
        let said = info?.message ?? "HTTP \(response.status)"
        switch response.status {
        case 429,
            503 where ["overloaded", "storage_full"].contains(code):
            return .busy(response, said: said, upstreamType: code)
        case 401, 402, 403, 404:
            return .routeRefused(response, said: said, upstreamType: code)
        case 400..<500 where ["content_policy_violation", "moderation_blocked"].contains(code):
            return .flagged(response, upstreamType: code)
        case 400..<500:
            return .requestRefused(response, said: said, upstreamType: code)
        default:
            return .lostAfterSending(response, upstreamType: code, images: images)
        }
    }

    /// The images of a 200: URLs to mirror, or base64 bytes checked and kept. Fewer than asked are what is charged.
    func outcome(_ response: SupplierResponse, request: ProviderRequest) async throws(ProviderError) -> ProviderOutcome {
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) else {
            throw ProviderError(
                code: .outcomeUnknown,
                message: "The upstream answered with an unreadable body; it was not sent again.",
                upstreamType: "unreadable_answer",
                upstreamDetail: response.text,
                billedImages: request.numImages
            )
        }
        var images: [ProviderImage] = []
        for item in answer.data ?? [] {
            if let url = item.url, !url.isEmpty {
                images.append(.remote(url: url, contentType: nil, width: nil, height: nil))
            } else if let encoded = item.b64Json, let data = Data(base64Encoded: encoded),
                let probe = try? ImageProbe.inspect(Array(data), decodePixels: false)
            {
                images.append(.bytes(Array(data), contentType: probe.format.contentType, width: probe.width, height: probe.height))
            }
        }
        guard !images.isEmpty else {
            throw ProviderError(
                code: .upstreamFailed,
                message: "The upstream returned no image.",
                upstreamType: "empty_output",
                upstreamDetail: response.text
            )
        }
        let seed = self.configuration.sendsSeed ? request.seed : nil
        return ProviderOutcome(images: images, seed: seed, seedHonoured: self.configuration.sendsSeed)
    }

    /// `{"created", "data": [{"url"} | {"b64_json"}]}`.
    struct Answer: Decodable {
        let data: [Item]?
        struct Item: Decodable {
            let url: String?
            let b64Json: String?
            enum CodingKeys: String, CodingKey {
                case url
                case b64Json = "b64_json"
            }
        }
    }

    /// `{"error": {"message", "type", "param", "code"}}`.
    struct ErrorBody: Decodable {
        let error: Info?
        struct Info: Decodable {
            let message: String?
            let type: String?
            let code: String?
        }
    }
}
