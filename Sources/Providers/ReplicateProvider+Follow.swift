import Foundation
import Logging
import NIOHTTP1

/// Following a prediction to its last word, and cancelling it upstream.
extension ReplicateProvider {
    /// Polls the prediction until it ends: at once, then with a pause growing from `pollInterval` to
    /// `maxPollInterval`. A poll that fails in transit or with an error status is not Replicate's answer about the
    /// prediction: polling goes on until the deadline, then the prediction is cancelled and given up.
    ///
    /// When the owner asks to cancel, the prediction is cancelled upstream once and polling goes on to Replicate's
    /// last word, which says whether the cancel came in time; the cancel's answer is returned with it.
    func follow(
        _ id: String,
        request: ProviderRequest,
        until deadline: ContinuousClock.Instant,
        cancelRequested: @Sendable () async -> Bool
    ) async throws(ProviderError) -> (ReplicateWire.Prediction, cancel: String?) {
        var pause = self.configuration.pollInterval
        var cancel: String?
        // The route's queue timeout: a cancel sent while the prediction was still `starting`, until a poll sees it run.
        let queueDeadline = self.configuration.queueTimeout.map { ContinuousClock.now + $0 }
        var queueCancel: (answer: String, ranAfter: Bool)?
        let reads = self.calls(on: self.httpClient)
        while ContinuousClock.now < deadline {
            if cancel == nil, await cancelRequested() {
                let answer = await self.sendCancel(id)
                cancel = answer
                pause = self.configuration.pollInterval
                self.logger.notice("replicate prediction cancelled by its owner", metadata: ["prediction": "\(id)", "cancel": "\(answer)"])
            }
            var seen: ReplicateWire.Prediction?
            do {
                let response = try await reads.execute("\(self.base)/v1/predictions/\(id)", method: .GET, body: nil)
                seen = response.status == 200 ? try? JSONDecoder().decode(ReplicateWire.Prediction.self, from: Data(response.body)) : nil
                if seen == nil {
                    self.logger.warning("replicate poll failed; polling on", metadata: ["status": "\(response.status)", "body": "\(response.text)"])
                }
            } catch {
                self.logger.warning("replicate poll failed; polling on", metadata: ["error": "\(error)"])
            }
            if let prediction = seen {
                if prediction.isTerminal {
                    if let queueCancel, cancel == nil, !queueCancel.ranAfter, prediction.status == "canceled", prediction.outputURLs.isEmpty {
                        throw ProviderError(
                            code: .notStarted,
                            message: "The upstream did not start the work within the route's queue timeout; it was cancelled there.",
                            upstreamType: "queue_timeout",
                            upstreamDetail: "prediction \(id); cancel: \(queueCancel.answer)"
                        )
                    }
                    return (prediction, cancel)
                }
                if prediction.status == "processing" { queueCancel?.ranAfter = true }
                if let queueDeadline, queueCancel == nil, cancel == nil, prediction.status == "starting", ContinuousClock.now >= queueDeadline {
                    let answer = await self.sendCancel(id)
                    queueCancel = (answer, false)
                    pause = self.configuration.pollInterval
                    self.logger.notice(
                        "replicate prediction cancelled after the route's queue timeout",
                        metadata: ["prediction": "\(id)", "cancel": "\(answer)"]
                    )
                    continue
                }
            }
            try await FalProvider.sleep(pause)
            pause = min(pause * 2, self.configuration.maxPollInterval)
        }
        throw await self.abandon(id, request: request, reason: "The upstream did not finish in time.")
    }

    /// `POST …/predictions/{id}/cancel`; the status it answers (`canceled`, or the end it had already reached), or
    /// what went wrong instead.
    func sendCancel(_ id: String) async -> String {
        do {
            let response = try await self.calls(on: self.httpClient).execute("\(self.base)/v1/predictions/\(id)/cancel", body: nil)
            guard response.status == 200, let prediction = try? JSONDecoder().decode(ReplicateWire.Prediction.self, from: Data(response.body))
            else { return "HTTP \(response.status)" }
            return prediction.status
        } catch {
            return "no answer"
        }
    }

    /// Gives a prediction up: cancels it upstream and says what Replicate will still bill. One the cancel ended
    /// (`canceled`) made no output and bills nothing; one that ended anyway, or whose state is unknown, is counted as
    /// billed in full.
    func abandon(
        _ id: String,
        request: ProviderRequest,
        reason: String,
        upstreamType: String = "deadline",
        detail: String? = nil
    ) async -> ProviderError {
        let answer = await self.sendCancel(id)
        let billed = answer == "canceled" ? 0 : request.numImages
        self.logger.warning(
            "replicate prediction abandoned",
            metadata: ["prediction": "\(id)", "cancel": "\(answer)", "billed_images": "\(billed)", "detail": "\(detail ?? "-")"]
        )
        return .abandoned(reason: reason, upstreamType: upstreamType, detail: detail, cancelAnswer: answer, billed: billed)
    }
}
