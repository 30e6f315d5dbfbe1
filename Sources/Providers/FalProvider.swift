import AsyncHTTPClient
import Catalog
import CoreMetrics
import Foundation
import Imaging
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Runs generations on fal.ai through its queue API: submit once, save the returned handle, poll the `status_url`
/// until `COMPLETED`, then read the `response_url`. Outputs are returned as remote URLs for the engine to mirror.
///
/// Submits and polls are retried on 429/502/503/504 and on connection failures with capped, jittered backoff. A
/// submit is retried only when fal cannot have accepted it (an error status, or no connection), so a request fal
/// accepted is never sent twice; after a restart the saved handle is polled instead.
public struct FalProvider: ImageProvider {
    public let name = "fal"
    let configuration: FalConfiguration
    let httpClient: HTTPClient
    let logger: Logger

    public init(configuration: FalConfiguration, httpClient: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.logger = logger
    }

    public func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let handle: FalWire.QueueHandle
        if let saved = context.resume, let decoded = try? JSONDecoder().decode(FalWire.QueueHandle.self, from: Data(saved.data.utf8)) {
            handle = decoded
        } else {
            handle = try await self.submit(request)
            do {
                let data = String(decoding: try JSONEncoder().encode(handle), as: UTF8.self)
                try await context.record(UpstreamHandle(requestID: handle.requestID, data: data))
            } catch {
                // Without a durable handle a restart could not find this request again: give it up now.
                await self.cancel(handle)
                throw ProviderError(code: "generation_failed", message: "The generation could not be recorded.", upstreamDetail: "\(error)")
            }
        }
        let status = try await self.waitForCompletion(handle)
        if status.error != nil || status.errorType != nil {
            throw await self.failure(handle, status: status)
        }
        let output = try await self.result(handle)
        guard !output.images.isEmpty else {
            throw ProviderError(code: "generation_failed", message: "The upstream returned no image.", upstreamType: "empty_output")
        }
        let images = output.images.map { ProviderImage.remote(url: $0.url, contentType: $0.contentType, width: $0.width, height: $0.height) }
        return ProviderOutcome(images: images, seed: output.seed, seedHonoured: false)
    }

    // MARK: - Queue operations

    func submit(_ request: ProviderRequest) async throws(ProviderError) -> FalWire.QueueHandle {
        let endpoint = request.mode == .edit ? self.configuration.editEndpoint : self.configuration.generateEndpoint
        let base = self.configuration.queueURL.hasSuffix("/") ? String(self.configuration.queueURL.dropLast()) : self.configuration.queueURL
        let body = Self.input(for: request)
        let response = try await self.send(.POST, "\(base)/\(endpoint)", body: body, idempotent: false)
        guard (200..<300).contains(response.status) else { throw Self.httpFailure(response, during: "submit") }
        guard let handle = try? JSONDecoder().decode(FalWire.QueueHandle.self, from: Data(response.body)) else {
            throw ProviderError(
                code: "generation_failed",
                message: "The upstream answered submit with an unexpected body.",
                upstreamDetail: response.text
            )
        }
        return handle
    }

    /// Polls the `status_url` until `COMPLETED`: at once, then with a pause growing from `pollInterval` to
    /// `maxPollInterval`. (Following `/status/stream` instead was measured slower under load here: see
    /// docs/benchmarks.md.)
    func waitForCompletion(_ handle: FalWire.QueueHandle) async throws(ProviderError) -> FalWire.Status {
        try await self.pollStatus(handle, until: ContinuousClock.now + self.configuration.deadline)
    }

    /// Polls the `status_url`, with a growing pause, until `COMPLETED`; cancels the request at the deadline.
    func pollStatus(_ handle: FalWire.QueueHandle, until deadline: ContinuousClock.Instant) async throws(ProviderError) -> FalWire.Status {
        var pause = self.configuration.pollInterval
        while ContinuousClock.now < deadline {
            let response = try await self.send(.GET, handle.statusURL + "?logs=0", body: nil, idempotent: true)
            guard [200, 202].contains(response.status) else { throw Self.httpFailure(response, during: "status") }
            guard let status = try? JSONDecoder().decode(FalWire.Status.self, from: Data(response.body)) else {
                throw ProviderError(code: "generation_failed", message: "The upstream status was unreadable.", upstreamDetail: response.text)
            }
            if status.status == "COMPLETED" { return status }
            do {
                try await Task.sleep(for: pause)
            } catch {
                // Shutting down: keep the upstream request; the saved handle resumes it on the next start.
                throw ProviderError(code: "interrupted", message: "The server is shutting down.")
            }
            pause = min(pause * 2, self.configuration.maxPollInterval)
        }
        await self.cancel(handle)
        throw ProviderError(
            code: "generation_failed",
            message: "The upstream did not finish in time; the request was cancelled.",
            upstreamType: "deadline"
        )
    }

    func result(_ handle: FalWire.QueueHandle) async throws(ProviderError) -> FalWire.Output {
        let response = try await self.send(.GET, handle.responseURL, body: nil, idempotent: true)
        guard response.status == 200 else { throw Self.httpFailure(response, during: "result") }
        do {
            return try JSONDecoder().decode(FalWire.Output.self, from: Data(response.body))
        } catch {
            throw ProviderError(code: "generation_failed", message: "The upstream result was unreadable.", upstreamDetail: response.text)
        }
    }

    /// A `COMPLETED` status with an error: the result endpoint holds the detailed error body.
    func failure(_ handle: FalWire.QueueHandle, status: FalWire.Status) async -> ProviderError {
        let response = try? await self.send(.GET, handle.responseURL, body: nil, idempotent: true)
        if let response, !(200..<300).contains(response.status) {
            return Self.httpFailure(response, during: "result")
        }
        return ProviderError(
            code: "generation_failed",
            message: "The upstream failed: \(status.error ?? "unknown error").",
            upstreamType: status.errorType,
            upstreamDetail: status.error
        )
    }

    /// Best effort: tells fal the request is abandoned.
    func cancel(_ handle: FalWire.QueueHandle) async {
        _ = try? await self.send(.PUT, handle.cancelURL, body: nil, idempotent: true)
    }

    // MARK: - Mapping

    /// fal's input for a request: Seedream's exact pixel size (or `auto_2K`/`auto_3K`), the image count and the
    /// references. fal's v5-lite has no seed input, so the seed is not sent (and recorded as not honoured).
    static func input(for request: ProviderRequest) -> [UInt8] {
        var fields: [String: Any] = [
            "prompt": request.prompt,
            "num_images": request.numImages,
            "enable_safety_checker": true,
        ]
        if request.aspectRatio == "auto" {
            fields["image_size"] = "auto_\(request.sizeTier)"
        } else {
            fields["image_size"] = ["width": request.pixelSize.width, "height": request.pixelSize.height]
        }
        if request.mode == .edit {
            fields["image_urls"] = request.references.map { reference -> String in
                if reference.source.hasPrefix("http://") || reference.source.hasPrefix("https://") { return reference.source }
                let type =
                    switch reference.probe.format {
                    case .jpeg: "image/jpeg"
                    case .png: "image/png"
                    case .webp: "image/webp"
                    }
                return "data:\(type);base64,\(Data(reference.bytes).base64EncodedString())"
            }
        }
        return Array((try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data())
    }

    /// Turns fal's error answers into ImageGate's, keeping fal's message and type for the record.
    static func httpFailure(_ response: FalResponse, during operation: String) -> ProviderError {
        let body = try? JSONDecoder().decode(FalWire.ErrorBody.self, from: Data(response.body))
        let errorType = body?.errorType ?? response.errorTypeHeader
        if body?.types.contains("content_policy_violation") == true {
            return ProviderError(
                code: "content_policy_violation",
                message: "The request was flagged by the content checker.",
                upstreamType: "content_policy_violation",
                upstreamDetail: response.text
            )
        }
        let message = body?.messages.first ?? "HTTP \(response.status)"
        return ProviderError(
            code: "generation_failed",
            message: "The upstream failed during \(operation): \(message)",
            upstreamType: errorType ?? body?.types.first ?? "http_\(response.status)",
            upstreamDetail: response.text
        )
    }

    // MARK: - HTTP with retries

    func send(_ method: HTTPMethod, _ url: String, body: [UInt8]?, idempotent: Bool) async throws(ProviderError) -> FalResponse {
        var attempt = 0
        while true {
            attempt += 1
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers.add(name: "Authorization", value: "Key \(self.configuration.key)")
            request.headers.add(name: "Accept", value: "application/json")
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            do {
                let started = ContinuousClock.now
                let response = try await self.httpClient.execute(request, timeout: .seconds(60))
                Timer(
                    label: "imagegate_upstream_request_duration_seconds",
                    dimensions: [("provider", "fal"), ("method", "\(method)"), ("status", "\(response.status.code)")]
                )
                .record(duration: ContinuousClock.now - started)
                let bytes = try await response.body.collect(upTo: 8 << 20)
                let answer = FalResponse(
                    status: Int(response.status.code),
                    body: Array(bytes.readableBytesView),
                    errorTypeHeader: response.headers.first(name: "x-fal-error-type")
                )
                if [429, 502, 503, 504].contains(answer.status) && attempt < self.configuration.maxAttempts {
                    self.logger.debug("fal answered \(answer.status); retrying", metadata: ["url": "\(url)", "attempt": "\(attempt)"])
                    try await self.backoff(attempt)
                    continue
                }
                return answer
            } catch let error as ProviderError {
                throw error
            } catch {
                // A submit whose request may have reached fal must not be sent again: only connection failures are safe.
                let safe = idempotent || Self.failedBeforeSending(error)
                if safe && attempt < self.configuration.maxAttempts && !Task.isCancelled {
                    try await self.backoff(attempt)
                    continue
                }
                throw ProviderError(
                    code: "generation_failed",
                    message: "The upstream could not be reached.",
                    upstreamType: "connection",
                    upstreamDetail: "\(error)"
                )
            }
        }
    }

    func backoff(_ attempt: Int) async throws(ProviderError) {
        let base = min(Double(0.2 * pow(2, Double(attempt - 1))), Double(self.configuration.maxBackoff.components.seconds))
        do {
            try await Task.sleep(for: .milliseconds(Int(base * Double.random(in: 500...1000))))
        } catch {
            throw ProviderError(code: "interrupted", message: "The server is shutting down.")
        }
    }

    /// Connection refused or a connect timeout: the request never left this machine.
    static func failedBeforeSending(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        let text = String(describing: error)
        return text.contains("connectTimeout") || text.contains("connectionRefused") || text.contains("NIOConnectionError")
            || text.contains("Connection refused")
    }
}

/// A fal HTTP answer, read whole (status bodies are small).
struct FalResponse: Sendable {
    let status: Int
    let body: [UInt8]
    let errorTypeHeader: String?

    var text: String { String(decoding: self.body.prefix(2048), as: UTF8.self) }
}
