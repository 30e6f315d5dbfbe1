import AsyncHTTPClient
import Catalog
import CoreMetrics
import Essentials
import Foundation
import Imaging
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Runs generations on BytePlus ModelArk: one synchronous `POST {base}/images/generations` whose answer holds the
/// images (as URLs that die after 24 h, mirrored by the engine like fal's).
///
/// Exactly once upstream. Ark gives no request id to look a lost answer up by, so a call is sent again only when
/// it provably never left this machine (`FalSendSafety`) or when Ark refused to start it (429, overload). Anything
/// else after the request was written (a time-out, a reset, a 500) may have run and been billed: the generation
/// fails with `outcomeUnknown` and the possible bill is recorded, never a second call. Providers never touch money:
/// the engine charges the images returned, so a sequential call that delivers fewer images than asked is charged
/// for what came.
package struct ArkProvider: ImageProvider {
    package let name = "ark"
    let configuration: ArkConfiguration
    /// Calls go through a client whose every request has a connection of its own (`HTTPClient.Configuration.submits`),
    /// so a failure before the request is written is always a failure to connect.
    let client: HTTPClient
    let logger: Logger

    package init(configuration: ArkConfiguration, client: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 {
        model.routes.first { $0.provider == .ark && $0.model == self.configuration.model }?.costPerImage(size: size) ?? 0
    }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let response = try await SynchronousCall.run(request, context: context) { [self] () async throws(ProviderError) in
            try await self.call(request)
        }
        return try self.outcome(response, request: request)
    }

    /// Sends the call, again only after a refusal to start or a failure to connect (`SynchronousCall`).
    func call(_ request: ProviderRequest) async throws(ProviderError) -> SupplierResponse {
        let base = self.configuration.baseURL.hasSuffix("/") ? String(self.configuration.baseURL.dropLast()) : self.configuration.baseURL
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(self.configuration.key)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Accept", value: "application/json")
        let call = SynchronousCall(
            provider: "ark",
            client: self.client,
            headers: headers,
            timeout: self.configuration.callTimeout,
            maxAttempts: self.configuration.maxAttempts,
            maxBackoff: self.configuration.maxBackoff,
            logger: self.logger
        )
        return try await call.send(
            "\(base)/images/generations",
            body: Self.body(for: request, configuration: self.configuration),
            images: request.numImages
        ) { response in Self.verdict(response, images: request.numImages) }
    }
}
