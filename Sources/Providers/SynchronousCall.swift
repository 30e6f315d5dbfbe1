import AsyncHTTPClient
import Essentials
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// A supplier's HTTP answer to a synchronous call, read whole (JSON with URLs, or base64 images).
struct SupplierResponse: Sendable {
    let status: Int
    let body: [UInt8]
    let retryAfter: Int?

    var text: String { String(storable: self.body.prefix(2048)) }
}

/// What a synchronous supplier's answer means for the call.
enum SupplierVerdict {
    /// The supplier ran the call (HTTP 200): read its images.
    case answer
    /// The supplier did not start the work (429, overload): it may be sent again, after `retryAfter` seconds if said.
    case refusedToStart(ProviderError, retryAfter: Int?)
    /// The supplier's last word: a refusal another try would not change, or an outcome that cannot be known.
    case final(ProviderError)
}

/// One synchronous call to a supplier whose answer holds the images (Ark, OpenAI-compatible servers), or that starts
/// the work (Replicate's prediction create), sent exactly once: again only when it provably never left this machine
/// (`FalSendSafety`) or the supplier refused to start it. Anything else after the request was written (a time-out, a
/// reset) may have run and been billed: `outcomeUnknown` with the images asked for as the possible bill, never a
/// second call.
struct SynchronousCall: Sendable {
    let provider: String
    let client: HTTPClient
    let headers: HTTPHeaders
    let timeout: TimeAmount
    let maxAttempts: Int
    let maxBackoff: Duration
    let logger: Logger

    /// Runs `call` for a generation the way every synchronous supplier must: never for a resumed generation (no
    /// handle exists to follow, and a second call would be billed twice), never after the owner cancelled, and,
    /// once marked as submitting, to its end even when this run is cancelled (shutdown, lost lease): the supplier
    /// does and bills the work whether or not anyone reads the answer. Bounded by the call's tries and time-outs.
    static func run(
        _ request: ProviderRequest,
        context: ProviderContext,
        call: @escaping @Sendable () async throws(ProviderError) -> SupplierResponse
    ) async throws(ProviderError) -> SupplierResponse {
        guard context.resume == nil else {
            throw ProviderError(
                code: .outcomeUnknown,
                message: "A synchronous call cannot be followed after a restart; it was not sent again.",
                upstreamType: "no_handle",
                billedImages: request.numImages
            )
        }
        if await context.cancelRequested() {
            throw ProviderError(code: .cancelled, message: "Cancelled by its owner before it was sent upstream; the whole hold was returned.")
        }
        return try await FalProvider.uncancelled { () async throws(ProviderError) in
            do {
                try await context.willSubmit()
            } catch {
                throw ProviderError(code: .upstreamFailed, message: "The generation could not be recorded.", upstreamDetail: "\(error)")
            }
            return try await call()
        }
    }

    func send(
        _ url: String,
        body: [UInt8],
        images: Int,
        verdict: (SupplierResponse) -> SupplierVerdict
    ) async throws(ProviderError) -> SupplierResponse {
        var attempt = 0
        while true {
            attempt += 1
            let response: SupplierResponse
            do {
                response = try await self.execute(url, body: body)
            } catch let error where FalSendSafety.failedBeforeSending(error) && !Task.isCancelled {
                guard attempt < self.maxAttempts else {
                    throw ProviderError(
                        code: .notStarted,
                        message: "The upstream could not be reached.",
                        upstreamType: "connection",
                        upstreamDetail: "\(error)"
                    )
                }
                await self.pause(attempt, retryAfter: nil)
                continue
            } catch {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The upstream's answer was lost; the request was not sent again.",
                    upstreamType: FalSendSafety.isCancellation(error) ? "interrupted_call" : "connection",
                    upstreamDetail: "\(error)",
                    billedImages: images
                )
            }
            switch verdict(response) {
            case .answer:
                return response
            case .refusedToStart(let error, let retryAfter):
                guard attempt < self.maxAttempts else { throw error }
                self.logger.debug(
                    "\(self.provider) refused to start the call; retrying",
                    metadata: ["status": "\(response.status)", "attempt": "\(attempt)"]
                )
                await self.pause(attempt, retryAfter: retryAfter)
            case .final(let error):
                throw error
            }
        }
    }

    /// One HTTP call with the route's key, read whole (a POST with `body`; a GET without), counted in
    /// `imagegate_upstream_calls_total` like fal's.
    func execute(_ url: String, method: HTTPMethod = .POST, body: [UInt8]?) async throws -> SupplierResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = self.headers
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await self.client.execute(request, timeout: self.timeout)
        } catch {
            UpstreamCallMetrics.record(provider: self.provider, outcome: UpstreamCallMetrics.outcome(of: error))
            throw error
        }
        UpstreamCallMetrics.record(provider: self.provider, outcome: "\(response.status.code / 100)xx")
        Timer(
            label: "imagegate_upstream_request_duration_seconds",
            dimensions: [("provider", self.provider), ("method", "\(method)"), ("status", "\(response.status.code)")]
        )
        .record(duration: ContinuousClock.now - started)
        let bytes = try await response.body.collect(upTo: 256 << 20)
        return SupplierResponse(
            status: Int(response.status.code),
            body: Array(bytes.readableBytesView),
            retryAfter: response.headers.first(name: "retry-after").flatMap(Int.init)
        )
    }

    /// Capped, jittered exponential backoff; the supplier's `Retry-After` when it says more (up to `maxBackoff`).
    /// Not ended by cancellation: the call runs in a task a shutdown does not reach, bounded by its tries.
    func pause(_ attempt: Int, retryAfter: Int?) async {
        let cap = Double(self.maxBackoff.components.seconds)
        let backoff = min(0.2 * pow(2, Double(attempt - 1)), cap) * Double.random(in: 0.5...1)
        let seconds = max(backoff, min(Double(retryAfter ?? 0), cap))
        try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
    }
}
