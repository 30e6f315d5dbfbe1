import AsyncHTTPClient
import Catalog
import CoreMetrics
import Foundation
import Imaging
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Cancelling a request upstream, at its owner's request or when it is given up.
extension FalProvider {
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
    func abandon(
        _ handle: FalWire.QueueHandle,
        request: ProviderRequest,
        lastPhase: String?,
        reason: String,
        upstreamType: String = "deadline",
        detail: String? = nil
    ) async -> ProviderError {
        let cancel = CancelSent(answer: await self.sendCancel(handle), phase: lastPhase)
        let answer = cancel.answer
        let billed = cancel.billedImages(of: request)
        self.logger.warning(
            "fal request abandoned",
            metadata: ["request_id": "\(handle.requestID)", "cancel": "\(answer)", "billed_images": "\(billed)", "detail": "\(detail ?? "-")"]
        )
        return .abandoned(reason: reason, upstreamType: upstreamType, detail: detail, cancelAnswer: answer, billed: billed)
    }
}
