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

/// fal's HTTP calls, with its key, read whole, and the pauses between retries.
extension FalProvider {
    /// What a read (status, result, cancel) got: fal's answer, or a failure in transit.
    enum ReadResult {
        case answer(FalResponse)
        case failed(any Error)
    }

    /// One read, never thrown: the caller decides whether to try again. Cancellation is not swallowed: it surfaces
    /// at the caller's next sleep as `interrupted`.
    func read(_ url: String, method: HTTPMethod = .GET) async -> ReadResult {
        do {
            return .answer(try await self.execute(method, url, body: nil))
        } catch {
            return .failed(error)
        }
    }

    /// One HTTP call with fal's key, read whole (fal's JSON answers are small), on `client` (reads share pooled
    /// connections; submits pass `submitClient`).
    func execute(_ method: HTTPMethod, _ url: String, body: [UInt8]?, on client: HTTPClient? = nil) async throws -> FalResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Key \(self.configuration.key)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await (client ?? self.httpClient).execute(request, timeout: self.configuration.callTimeout)
        } catch {
            // No answer at all: the failures an operator must see first (fal down, a network cut).
            UpstreamCallMetrics.record(provider: "fal", outcome: UpstreamCallMetrics.outcome(of: error))
            throw error
        }
        UpstreamCallMetrics.record(provider: "fal", outcome: "\(response.status.code / 100)xx")
        Timer(
            label: "imagegate_upstream_request_duration_seconds",
            dimensions: [("provider", "fal"), ("method", "\(method)"), ("status", "\(response.status.code)")]
        )
        .record(duration: ContinuousClock.now - started)
        let bytes = try await response.body.collect(upTo: 8 << 20)
        return FalResponse(
            status: Int(response.status.code),
            body: Array(bytes.readableBytesView),
            errorTypeHeader: response.headers.first(name: "x-fal-error-type")
        )
    }

    /// Capped, jittered exponential backoff.
    func backoff(_ attempt: Int) async throws(ProviderError) {
        let seconds = min(0.2 * pow(2, Double(attempt - 1)), Double(self.configuration.maxBackoff.components.seconds))
        try await Self.sleep(.milliseconds(Int(seconds * 1000 * Double.random(in: 0.5...1))))
    }

    /// A pause that ends the generation's work when this task is cancelled (shutdown, lost lease).
    static func sleep(_ duration: Duration) async throws(ProviderError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw ProviderError(code: .interrupted, message: "The server is shutting down.")
        }
    }
}

/// A fal HTTP answer, read whole (status bodies are small).
struct FalResponse: Sendable {
    let status: Int
    let body: [UInt8]
    let errorTypeHeader: String?

    var text: String { String(storable: self.body.prefix(2048)) }

    /// fal's own "not accepted" (rate limit, no runner), as opposed to an error from something in between.
    var isFalRefusal: Bool { self.status == 429 || self.errorTypeHeader != nil }
}
