import AsyncHTTPClient
import Catalog
import CoreMetrics
import Foundation
import Imaging
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Following a submitted request: its status until it completes, then its result.
extension FalProvider {
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
        // Counted from the start of the following (a restart's wait starts again: the phase is not saved).
        let queueDeadline = self.configuration.queueTimeout.map { ContinuousClock.now + $0 }
        while ContinuousClock.now < deadline {
            if let queueDeadline, cancel == nil, lastPhase == "IN_QUEUE", ContinuousClock.now >= queueDeadline {
                cancel = CancelSent(answer: await self.sendCancel(handle), phase: lastPhase, reason: .queueTimeout)
                pause = self.configuration.pollInterval
                self.logger.notice(
                    "fal request cancelled after the route's queue timeout",
                    metadata: ["request_id": "\(handle.requestID)", "cancel": "\(cancel!.answer)"]
                )
            }
            if cancel?.reason != .owner, await cancelRequested() {
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
                    // Seen running after the cancel: it came too late to spare the bill.
                    if status.status == "IN_PROGRESS" { cancel?.phase = "IN_PROGRESS" }
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
            let failure = Self.httpFailure(response, during: "result")
            // fal bills no 5xx end (its runner went away, its infrastructure timed out): not the request's fault.
            let suppliers = (500..<600).contains(response.status) && failure.code == .upstreamFailed
            return suppliers ? failure.as(.supplierFailed) : failure
        }
        return ProviderError(
            code: .upstreamFailed,
            message: "The upstream failed: \(status.error ?? "unknown error").",
            upstreamType: status.errorType,
            upstreamDetail: status.error
        )
    }
}
