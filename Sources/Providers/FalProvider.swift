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
/// Exactly once upstream:
/// - A submit is sent again only when it provably never left this machine (`FalSendSafety`), or when fal itself
///   refused it (429, or a 5xx that carries fal's `X-Fal-Error-Type`). A proxy's 502/504 or a broken connection
///   after the request was written may follow an accepted job: the outcome is then unknown, the generation fails
///   with `outcomeUnknown` and fal's possible bill is recorded, never a second submit.
/// - Reads (status, result) are retried with backoff on anything that is not fal's final answer, until the
///   generation's deadline; only then is the request cancelled upstream, and what fal will still bill is reported.
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

    public func upstreamCostPerImage(_ model: ModelSpec) -> Int64 {
        model.upstream.fal?.costPerImageMicros ?? 0
    }

    public func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let deadline = self.deadline(startedAtMillis: request.startedAtMillis)
        let handle: FalWire.QueueHandle
        if let saved = context.resume {
            guard let decoded = try? JSONDecoder().decode(FalWire.QueueHandle.self, from: Data(saved.data.utf8)) else {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The saved upstream request could not be read.",
                    upstreamDetail: saved.data,
                    billedImages: request.numImages
                )
            }
            handle = decoded
        } else {
            // Cancelled before anything left: fal never hears of it.
            if await context.cancelRequested() {
                throw ProviderError(code: .cancelled, message: "Cancelled by its owner before it was sent upstream; the whole hold was returned.")
            }
            do {
                try await context.willSubmit()
            } catch {
                throw ProviderError(code: .upstreamFailed, message: "The generation could not be recorded.", upstreamDetail: "\(error)")
            }
            handle = try await self.submit(request)
            do {
                let data = String(decoding: try JSONEncoder().encode(handle), as: UTF8.self)
                try await context.record(UpstreamHandle(requestID: handle.requestID, data: data))
            } catch {
                // Without a durable handle a restart could not find this request again: give it up now.
                throw await self.abandon(handle, request: request, lastPhase: nil, reason: "The generation could not be recorded: \(error)")
            }
        }
        let (status, cancel) = try await self.pollStatus(
            handle,
            request: request,
            until: deadline,
            cancelRequested: context.cancelRequested,
            queuePosition: context.queuePosition
        )
        if status.error != nil || status.errorType != nil {
            // After a cancel, an unsuccessful end is the cancel taking effect; a successful one (fal finished first)
            // is delivered and charged like any other.
            if let cancel { throw self.cancelled(handle, request: request, cancel: cancel) }
            throw await self.failure(handle, status: status)
        }
        let output = try await self.result(handle, request: request, until: deadline)
        guard !output.images.isEmpty else {
            throw ProviderError(code: .upstreamFailed, message: "The upstream returned no image.", upstreamType: "empty_output")
        }
        let images = output.images.map { ProviderImage.remote(url: $0.url, contentType: $0.contentType, width: $0.width, height: $0.height) }
        return ProviderOutcome(images: images, seed: output.seed, seedHonoured: false)
    }

    /// The generation's deadline on this process's clock: `configuration.deadline` after it first started.
    func deadline(startedAtMillis: Int64) -> ContinuousClock.Instant {
        let elapsed = Duration.milliseconds(max(0, Int64(Date().timeIntervalSince1970 * 1000) - startedAtMillis))
        return ContinuousClock.now + self.configuration.deadline - elapsed
    }

    // MARK: - Queue operations

    /// Sends the request to fal's queue. Resends only what fal provably did not accept.
    func submit(_ request: ProviderRequest) async throws(ProviderError) -> FalWire.QueueHandle {
        let endpoint = request.mode == .edit ? self.configuration.editEndpoint : self.configuration.generateEndpoint
        let base = self.configuration.queueURL.hasSuffix("/") ? String(self.configuration.queueURL.dropLast()) : self.configuration.queueURL
        let body = Self.input(for: request)
        var attempt = 0
        while true {
            attempt += 1
            let response: FalResponse
            do {
                response = try await self.execute(.POST, "\(base)/\(endpoint)", body: body)
            } catch let error where FalSendSafety.failedBeforeSending(error) && !Task.isCancelled {
                guard attempt < self.configuration.maxAttempts else {
                    throw ProviderError(
                        code: .upstreamFailed,
                        message: "The upstream could not be reached.",
                        upstreamType: "connection",
                        upstreamDetail: "\(error)"
                    )
                }
                try await self.backoff(attempt)
                continue
            } catch {
                // The request may have been written: fal may have accepted it. Never send it again.
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The upstream's answer to the submit was lost; the request was not sent again.",
                    upstreamType: FalSendSafety.isCancellation(error) ? "interrupted_submit" : "connection",
                    upstreamDetail: "\(error)",
                    billedImages: request.numImages
                )
            }
            switch response.status {
            case 200..<300:
                guard let handle = try? JSONDecoder().decode(FalWire.QueueHandle.self, from: Data(response.body)) else {
                    throw ProviderError(
                        code: .outcomeUnknown,
                        message: "The upstream answered submit with an unexpected body.",
                        upstreamDetail: response.text,
                        billedImages: request.numImages
                    )
                }
                return handle
            case 429,
                500...599 where response.isFalRefusal:
                // fal's own refusal (rate limit, no runner): the request was not queued.
                guard attempt < self.configuration.maxAttempts else { throw Self.httpFailure(response, during: "submit") }
                self.logger.debug("fal refused the submit; retrying", metadata: ["status": "\(response.status)", "attempt": "\(attempt)"])
                try await self.backoff(attempt)
            case 400..<500:
                throw Self.httpFailure(response, during: "submit")
            default:
                // A 5xx without fal's error type comes from something in between, which may have passed the request on.
                var error = Self.httpFailure(response, during: "submit")
                error = ProviderError(
                    code: .outcomeUnknown,
                    message: "The upstream's answer to the submit was lost (HTTP \(response.status)); the request was not sent again.",
                    upstreamType: error.upstreamType,
                    upstreamDetail: error.upstreamDetail,
                    billedImages: request.numImages
                )
                throw error
            }
        }
    }

    /// Polls the `status_url` until `COMPLETED`: at once, then with a pause growing from `pollInterval` to
    /// `maxPollInterval`. A poll that fails in transit or with an error status is not fal's answer about the
    /// request: polling goes on until the deadline. (Following `/status/stream` instead was measured slower under
    /// load here: see docs/benchmarks.md.)
    ///
    /// When the owner asks to cancel, the request is cancelled upstream once (`PUT cancel_url`) and polling goes on
    /// to fal's final answer, which says whether the cancel came in time; the cancel sent is returned with it.
    func pollStatus(
        _ handle: FalWire.QueueHandle,
        request: ProviderRequest,
        until deadline: ContinuousClock.Instant,
        cancelRequested: @Sendable () async -> Bool = { false },
        queuePosition: @Sendable (Int?) async -> Void = { _ in }
    ) async throws(ProviderError) -> (FalWire.Status, CancelSent?) {
        var pause = self.configuration.pollInterval
        var lastPhase: String?
        var lastPosition: Int?
        var cancel: CancelSent?
        while ContinuousClock.now < deadline {
            if cancel == nil, await cancelRequested() {
                cancel = CancelSent(answer: await self.sendCancel(handle), phase: lastPhase)
                pause = self.configuration.pollInterval
                self.logger.notice(
                    "fal request cancelled by its owner",
                    metadata: ["request_id": "\(handle.requestID)", "cancel": "\(cancel!.answer)"]
                )
            }
            switch await self.read(handle.statusURL + "?logs=0") {
            case .answer(let response) where [200, 202].contains(response.status):
                if let status = try? JSONDecoder().decode(FalWire.Status.self, from: Data(response.body)) {
                    if status.status == "COMPLETED" { return (status, cancel) }
                    lastPhase = status.status
                    let position = status.status == "IN_QUEUE" ? status.queuePosition : nil
                    if position != lastPosition {
                        lastPosition = position
                        await queuePosition(position)
                    }
                } else {
                    self.logger.warning("fal status unreadable; polling on", metadata: ["body": "\(response.text)"])
                }
            case .answer(let response):
                self.logger.warning("fal status poll failed; polling on", metadata: ["status": "\(response.status)"])
            case .failed(let error):
                self.logger.warning("fal status poll failed; polling on", metadata: ["error": "\(error)"])
            }
            try await Self.sleep(pause)
            pause = min(pause * 2, self.configuration.maxPollInterval)
        }
        throw await self.abandon(handle, request: request, lastPhase: lastPhase, reason: "The upstream did not finish in time.")
    }

    /// Reads the `response_url` of a request that completed without error. A 4xx with fal's body is its final
    /// answer; anything else is retried until the deadline.
    func result(_ handle: FalWire.QueueHandle, request: ProviderRequest, until deadline: ContinuousClock.Instant) async throws(ProviderError)
        -> FalWire.Output
    {
        var attempt = 0
        while ContinuousClock.now < deadline {
            attempt += 1
            switch await self.read(handle.responseURL) {
            case .answer(let response) where response.status == 200:
                if let output = try? JSONDecoder().decode(FalWire.Output.self, from: Data(response.body)) { return output }
                self.logger.warning("fal result unreadable; reading again", metadata: ["body": "\(response.text)"])
            case .answer(let response) where (400..<500).contains(response.status) && ![404, 408, 429].contains(response.status):
                throw Self.httpFailure(response, during: "result")
            case .answer(let response):
                self.logger.warning("fal result read failed; reading again", metadata: ["status": "\(response.status)"])
            case .failed(let error):
                self.logger.warning("fal result read failed; reading again", metadata: ["error": "\(error)"])
            }
            try await self.backoff(attempt)
        }
        throw await self.abandon(handle, request: request, lastPhase: "COMPLETED", reason: "The upstream result could not be read in time.")
    }

    /// A `COMPLETED` status with an error: the result endpoint holds the detailed error body.
    func failure(_ handle: FalWire.QueueHandle, status: FalWire.Status) async -> ProviderError {
        if case .answer(let response) = await self.read(handle.responseURL), (400..<600).contains(response.status) {
            return Self.httpFailure(response, during: "result")
        }
        return ProviderError(
            code: .upstreamFailed,
            message: "The upstream failed: \(status.error ?? "unknown error").",
            upstreamType: status.errorType,
            upstreamDetail: status.error
        )
    }

    /// A cancel sent upstream: fal's answer and the last phase seen before it.
    struct CancelSent: Sendable {
        let answer: String
        let phase: String?

        /// What fal will still bill after it: nothing for a request it removed from its queue (or never had),
        /// the whole request for one that ran or whose state is unknown.
        func billedImages(of request: ProviderRequest) -> Int {
            let removedFromQueue = self.phase == "IN_QUEUE" && ["CANCELLATION_REQUESTED", "OK"].contains(self.answer)
            return removedFromQueue || self.answer == "NOT_FOUND" ? 0 : request.numImages
        }
    }

    /// `PUT cancel_url`; fal's answer (`OK`, `CANCELLATION_REQUESTED`, `ALREADY_COMPLETED`, `NOT_FOUND`), or what
    /// went wrong instead.
    func sendCancel(_ handle: FalWire.QueueHandle) async -> String {
        guard case .answer(let response) = await self.read(handle.cancelURL, method: .PUT) else { return "no answer" }
        return (try? JSONDecoder().decode(FalWire.CancelAnswer.self, from: Data(response.body)))?.status ?? "HTTP \(response.status)"
    }

    /// The owner's cancel took effect: no image came back.
    func cancelled(_ handle: FalWire.QueueHandle, request: ProviderRequest, cancel: CancelSent) -> ProviderError {
        ProviderError(
            code: .cancelled,
            message: "Cancelled by its owner; the request was cancelled upstream and the whole hold was returned.",
            upstreamType: "cancelled",
            upstreamDetail: "cancel: \(cancel.answer)",
            billedImages: cancel.billedImages(of: request)
        )
    }

    /// Gives a request up: cancels it upstream and says what fal will still bill. A request still `IN_QUEUE` is
    /// removed by the cancel and costs nothing; one that ran, or whose state is unknown, is counted as billed.
    func abandon(_ handle: FalWire.QueueHandle, request: ProviderRequest, lastPhase: String?, reason: String) async -> ProviderError {
        let cancel = CancelSent(answer: await self.sendCancel(handle), phase: lastPhase)
        let answer = cancel.answer
        let billed = cancel.billedImages(of: request)
        self.logger.warning(
            "fal request abandoned",
            metadata: ["request_id": "\(handle.requestID)", "cancel": "\(answer)", "billed_images": "\(billed)"]
        )
        return ProviderError(
            code: .deadlineExceeded,
            message: "\(reason) The request was cancelled upstream.",
            upstreamType: "deadline",
            upstreamDetail: "cancel: \(answer)",
            billedImages: billed
        )
    }

    // MARK: - Mapping

    /// fal's input for a request: Seedream's exact pixel size (or `auto_2K`/`auto_3K`), the image count and the
    /// references. References are always ImageGate's checked copies, sent as data URIs: a user's URL could answer
    /// fal with something else than what ImageGate validated. fal's v5-lite has no seed input, so the seed is not
    /// sent (and recorded as not honoured).
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
            return ProviderError(
                code: .contentPolicyViolation,
                message: "The request was flagged by the content checker.",
                upstreamType: "content_policy_violation",
                upstreamDetail: response.text
            )
        }
        let message = body?.messages.first ?? "HTTP \(response.status)"
        return ProviderError(
            code: .upstreamFailed,
            message: "The upstream failed during \(operation): \(message)",
            upstreamType: errorType ?? body?.types.first ?? "http_\(response.status)",
            upstreamDetail: response.text
        )
    }

    // MARK: - HTTP

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

    /// One HTTP call with fal's key, read whole (fal's JSON answers are small).
    func execute(_ method: HTTPMethod, _ url: String, body: [UInt8]?) async throws -> FalResponse {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Key \(self.configuration.key)")
        request.headers.add(name: "Accept", value: "application/json")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let started = ContinuousClock.now
        let response = try await self.httpClient.execute(request, timeout: self.configuration.callTimeout)
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

    var text: String { String(decoding: self.body.prefix(2048), as: UTF8.self) }

    /// fal's own "not accepted" (rate limit, no runner), as opposed to an error from something in between.
    var isFalRefusal: Bool { self.status == 429 || self.errorTypeHeader != nil }
}
