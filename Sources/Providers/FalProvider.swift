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
/// - A submit is never cut off by a cancel (a graceful shutdown, a lost lease): it and the saving of its handle run
///   to their end, so a deploy does not leave fal a request that no one follows.
/// - Reads (status, result) are retried with backoff on anything that is not fal's final answer, until the
///   generation's deadline; only then is the request cancelled upstream, and what fal will still bill is reported.
package struct FalProvider: ImageProvider {
    package let name = "fal"
    let configuration: FalConfiguration
    let httpClient: HTTPClient
    /// Submits go through a client whose every request has a connection of its own (`HTTPClient.Configuration.submits`).
    let submitClient: HTTPClient
    let logger: Logger

    package init(configuration: FalConfiguration, httpClient: HTTPClient, submitClient: HTTPClient, logger: Logger) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.submitClient = submitClient
        self.logger = logger
    }

    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 {
        model.falRoute?.costPerImage(size: size) ?? 0
    }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let deadline = request.deadline(after: self.configuration.deadline)
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
            // Run to their end even when this run is cancelled (a graceful shutdown, a lost lease): a submit cut off
            // mid-call may leave a request upstream that nobody can follow, refunded to the user and paid to fal.
            // Bounded: each call has `callTimeout`, and a submit is tried at most `maxAttempts` times.
            handle = try await Self.uncancelled { [self] () async throws(ProviderError) in
                try await self.submitAndRecord(request, context: context)
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
            switch cancel?.reason {
            case .owner?: throw self.cancelled(handle, request: request, cancel: cancel!)
            case .queueTimeout? where cancel!.billedImages(of: request) == 0: throw self.queueTimedOut(handle, cancel: cancel!)
            default: throw await self.failure(handle, status: status)
            }
        }
        let output = try await self.result(handle, request: request, until: deadline)
        guard !output.images.isEmpty else {
            throw ProviderError(code: .upstreamFailed, message: "The upstream returned no image.", upstreamType: "empty_output")
        }
        let images = output.images.map { ProviderImage.remote(url: $0.url, contentType: $0.contentType, width: $0.width, height: $0.height) }
        return ProviderOutcome(images: images, seed: output.seed, seedHonoured: self.configuration.sendsSeed)
    }

    /// Marks the generation as submitting, submits it, and saves the handle fal returned.
    func submitAndRecord(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> FalWire.QueueHandle {
        do {
            try await context.willSubmit()
        } catch {
            throw ProviderError(code: .upstreamFailed, message: "The generation could not be recorded.", upstreamDetail: "\(error)")
        }
        let handle = try await self.submit(request)
        do {
            let data = String(decoding: try JSONEncoder().encode(handle), as: UTF8.self)
            try await context.record(UpstreamHandle(requestID: handle.requestID, data: data))
        } catch {
            // Without a durable handle a restart could not find this request again: give it up now.
            throw await self.abandon(
                handle,
                request: request,
                lastPhase: nil,
                reason: "The generation could not be recorded.",
                upstreamType: "unrecorded_handle",
                detail: "\(error)"
            )
        }
        return handle
    }

    /// Runs `body` in a task of its own, which this task's cancellation does not reach, and waits for its end.
    static func uncancelled<T: Sendable>(_ body: @escaping @Sendable () async throws(ProviderError) -> T) async throws(ProviderError) -> T {
        let result = await Task { () async -> Result<T, ProviderError> in
            do throws(ProviderError) {
                return .success(try await body())
            } catch {
                return .failure(error)
            }
        }.value
        return try result.get()
    }
}
