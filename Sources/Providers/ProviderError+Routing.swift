/// What an attempt's error means for routing: whether the generation may move to another route, and what it says
/// about the route's health.
extension ProviderError {
    /// True only when the attempt provably started no billable work, so another route can take the generation with
    /// the same hold and no second bill: the upstream refused to start it (rate limit, quota, overload, a queue
    /// submit refused, a connection never made) or refused the route itself (a key refused, a model not opened, a
    /// closed endpoint), or failed on its own side with no output and no bill (fal's 5xx ends, a failed Replicate
    /// prediction). Never for invalid input or a content-policy refusal (the answer would be the same
    /// elsewhere), and never for an unknown outcome (the first supplier may have run it and billed).
    package var failsOver: Bool {
        [.notStarted, .routeUnusable, .supplierFailed].contains(self.code) && self.billedImages == 0
    }

    /// Whether a route that opted in (`resend_after_unknown`) may pass this error's generation on: an unknown
    /// outcome, whose possible bill the failed attempt then carries.
    package var resendsOnOptIn: Bool { self.code == .outcomeUnknown }

    /// What the error says about the route that gave it.
    package var breakerVerdict: RouteBreaker.Verdict {
        switch self.code {
        case .notStarted, .routeUnusable, .supplierFailed, .upstreamFailed, .outcomeUnknown, .deadlineExceeded, .engineError: .failure
        default: .neutral
        }
    }

    /// How an attempt that failed over with this error is written in the books (`generation_attempts.outcome`).
    package var attemptOutcome: String {
        switch self.code {
        case .notStarted: "not_started"
        case .routeUnusable: "route_unusable"
        case .supplierFailed: "supplier_failed"
        case .outcomeUnknown: "outcome_unknown"
        default: self.code.description
        }
    }

    /// The same error, classed as `code` (the upstream's words kept).
    package func `as`(_ code: Code) -> ProviderError {
        ProviderError(
            code: code,
            message: self.message,
            upstreamType: self.upstreamType,
            upstreamDetail: self.upstreamDetail,
            billedImages: self.billedImages
        )
    }
}
