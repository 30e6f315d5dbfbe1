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
    /// A cancel sent upstream: fal's answer, the last phase seen before it (or `IN_PROGRESS`, when a poll after it
    /// saw the request run anyway), and who sent it.
    struct CancelSent: Sendable {
        /// Why a request is cancelled while ImageGate still follows it.
        enum Reason: Sendable {
            /// Its owner asked.
            case owner
            /// It waited in fal's queue past the route's `queue_timeout_s`.
            case queueTimeout
        }

        let answer: String
        var phase: String?
        var reason: Reason = .owner

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

    /// The request waited in fal's queue past the route's queue timeout, and the cancel removed it before it ran
    /// (fal then bills nothing): the generation may move to the next route.
    func queueTimedOut(_ handle: FalWire.QueueHandle, cancel: CancelSent) -> ProviderError {
        ProviderError(
            code: .notStarted,
            message: "The upstream did not start the work within the route's queue timeout; it was cancelled there.",
            upstreamType: "queue_timeout",
            upstreamDetail: "request \(handle.requestID); cancel: \(cancel.answer)"
        )
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
