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
        guard context.resume == nil else {
            // Ark saves no handle: a resumed Ark generation could only be sent again, which Ark would bill twice.
            throw ProviderError(
                code: .outcomeUnknown,
                message: "An Ark call cannot be followed after a restart; it was not sent again.",
                upstreamType: "no_handle",
                billedImages: request.numImages
            )
        }
        if await context.cancelRequested() {
            throw ProviderError(code: .cancelled, message: "Cancelled by its owner before it was sent upstream; the whole hold was returned.")
        }
        // The call runs to its end even when this run is cancelled (shutdown, lost lease): Ark does the work and
        // bills it whether or not anyone reads the answer, so the answer is worth waiting for. Bounded by
        // `callTimeout` per try and `maxAttempts` tries.
        let response = try await FalProvider.uncancelled { [self] () async throws(ProviderError) in
            do {
                try await context.willSubmit()
            } catch {
                throw ProviderError(code: .upstreamFailed, message: "The generation could not be recorded.", upstreamDetail: "\(error)")
            }
            return try await self.call(request)
        }
        return try self.outcome(response, request: request)
    }

    /// Sends the call, again only after a refusal to start or a failure to connect.
    func call(_ request: ProviderRequest) async throws(ProviderError) -> ArkResponse {
        let body = Self.body(for: request, configuration: self.configuration)
        let base = self.configuration.baseURL.hasSuffix("/") ? String(self.configuration.baseURL.dropLast()) : self.configuration.baseURL
        var attempt = 0
        while true {
            attempt += 1
            let response: ArkResponse
            do {
                response = try await self.execute("\(base)/images/generations", body: body)
            } catch let error where FalSendSafety.failedBeforeSending(error) && !Task.isCancelled {
                guard attempt < self.configuration.maxAttempts else {
                    throw ProviderError(
                        code: .notStarted,
                        message: "The upstream could not be reached.",
                        upstreamType: "connection",
                        upstreamDetail: "\(error)"
                    )
                }
                try await self.pause(attempt, retryAfter: nil)
                continue
            } catch {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The upstream's answer was lost; the request was not sent again.",
                    upstreamType: FalSendSafety.isCancellation(error) ? "interrupted_call" : "connection",
                    upstreamDetail: "\(error)",
                    billedImages: request.numImages
                )
            }
            switch Self.verdict(response, images: request.numImages) {
            case .answer:
                return response
            case .refusedToStart(let error, let retryAfter):
                guard attempt < self.configuration.maxAttempts else { throw error }
                self.logger.debug("ark refused to start the call; retrying", metadata: ["status": "\(response.status)", "attempt": "\(attempt)"])
                try await self.pause(attempt, retryAfter: retryAfter)
            case .final(let error):
                throw error
            }
        }
    }

    /// One HTTP call with the route's key, read whole (the answer is JSON with URLs).
    func execute(_ url: String, body: [UInt8]) async throws -> ArkResponse {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(self.configuration.key)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        let started = ContinuousClock.now
        let response = try await self.client.execute(request, timeout: self.configuration.callTimeout)
        Timer(
            label: "imagegate_upstream_request_duration_seconds",
            dimensions: [("provider", "ark"), ("method", "POST"), ("status", "\(response.status.code)")]
        )
        .record(duration: ContinuousClock.now - started)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return ArkResponse(
            status: Int(response.status.code),
            body: Array(bytes.readableBytesView),
            retryAfter: response.headers.first(name: "retry-after").flatMap(Int.init)
        )
    }

    /// Capped, jittered exponential backoff; Ark's `Retry-After` when it says more (up to `maxBackoff`).
    func pause(_ attempt: Int, retryAfter: Int?) async throws(ProviderError) {
        let cap = Double(self.configuration.maxBackoff.components.seconds)
        let backoff = min(0.2 * pow(2, Double(attempt - 1)), cap) * Double.random(in: 0.5...1)
        let seconds = max(backoff, min(Double(retryAfter ?? 0), cap))
        // Inside an uncancelled task: a shutdown does not end this pause, the bounded tries do.
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }
}

/// An Ark HTTP answer, read whole.
struct ArkResponse: Sendable {
    let status: Int
    let body: [UInt8]
    let retryAfter: Int?

    var text: String { String(storable: self.body.prefix(2048)) }
}
