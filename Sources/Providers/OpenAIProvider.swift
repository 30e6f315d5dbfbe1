import AsyncHTTPClient
import Catalog
import Foundation
import Imaging
import Logging
import NIOHTTP1

/// Runs generations on any OpenAI-compatible image server: `POST {base}/images/generations` (JSON) for generate,
/// `POST {base}/images/edits` (multipart, the references as `image[]` files of ImageGate's checked copies) for edit.
/// The answer holds the images, as `url`s (mirrored by the engine) or `b64_json` (kept as they are). Sent exactly
/// once (`SynchronousCall`); no handle is saved, so a lost answer is an unknown outcome, never a second call.
package struct OpenAIProvider: ImageProvider {
    package let name = "openai"
    let configuration: OpenAIConfiguration
    let client: HTTPClient
    let logger: Logger

    package init(configuration: OpenAIConfiguration, client: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 {
        model.routes.first { $0.provider == .openai && $0.model == self.configuration.model }?.costPerImage(size: size) ?? 0
    }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let response = try await SynchronousCall.run(request, context: context) { [self] () async throws(ProviderError) in
            try await self.call(request)
        }
        return try await self.outcome(response, request: request)
    }

    func call(_ request: ProviderRequest) async throws(ProviderError) -> SupplierResponse {
        let base = self.configuration.baseURL.hasSuffix("/") ? String(self.configuration.baseURL.dropLast()) : self.configuration.baseURL
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(self.configuration.key)")
        headers.add(name: "Accept", value: "application/json")
        let url: String
        let body: [UInt8]
        if request.mode == .edit {
            let boundary = "imagegate-\(UUID().uuidString)"
            headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
            url = "\(base)/images/edits"
            body = Self.multipart(for: request, configuration: self.configuration, boundary: boundary)
        } else {
            headers.add(name: "Content-Type", value: "application/json")
            url = "\(base)/images/generations"
            body = Self.json(for: request, configuration: self.configuration)
        }
        let call = SynchronousCall(
            provider: "openai",
            client: self.client,
            headers: headers,
            timeout: self.configuration.callTimeout,
            maxAttempts: self.configuration.maxAttempts,
            maxBackoff: self.configuration.maxBackoff,
            logger: self.logger
        )
        return try await call.send(url, body: body, images: request.numImages) { response in
            Self.verdict(response, images: request.numImages)
        }
    }
}
