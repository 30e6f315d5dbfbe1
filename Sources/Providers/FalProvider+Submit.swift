import AsyncHTTPClient
import Catalog
import CoreMetrics
import Foundation
import Imaging
import Logging
import Metrics
import NIOCore
import NIOHTTP1

/// Submitting to fal's queue, exactly once.
extension FalProvider {
    /// Sends the request to fal's queue. Resends only what fal provably did not accept.
    func submit(_ request: ProviderRequest) async throws(ProviderError) -> FalWire.QueueHandle {
        let endpoint = request.mode == .edit ? self.configuration.editEndpoint : self.configuration.generateEndpoint
        let base = self.configuration.queueURL.hasSuffix("/") ? String(self.configuration.queueURL.dropLast()) : self.configuration.queueURL
        let body = Self.input(for: request, sendsSeed: self.configuration.sendsSeed)
        var attempt = 0
        while true {
            attempt += 1
            let response: FalResponse
            do {
                response = try await self.execute(.POST, "\(base)/\(endpoint)", body: body, on: self.submitClient)
            } catch let error where FalSendSafety.failedBeforeSending(error) && !Task.isCancelled {
                guard attempt < self.configuration.maxAttempts else {
                    // No connection was ever made: nothing reached fal, so another route may take it.
                    throw ProviderError(
                        code: .notStarted,
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
                guard attempt < self.configuration.maxAttempts else { throw Self.httpFailure(response, during: "submit").as(.notStarted) }
                self.logger.debug("fal refused the submit; retrying", metadata: ["status": "\(response.status)", "attempt": "\(attempt)"])
                try await self.backoff(attempt)
            case 401, 403, 404:
                // The key, the account or the endpoint was refused: fal queued nothing, and will not until an operator
                // acts. (A content-policy refusal is typed as such by `httpFailure`, whatever its status.)
                let failure = Self.httpFailure(response, during: "submit")
                throw failure.code == .contentPolicyViolation ? failure : failure.as(.routeUnusable)
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
}
