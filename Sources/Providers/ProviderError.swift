import Essentials

/// Why a provider could not produce any image. `code` is ImageGate's classification; the upstream's own words are
/// kept apart (`upstreamType`, `upstreamDetail`) for the operator.
package struct ProviderError: Error, Sendable, Equatable {
    /// The classes of failure the runner acts on differently. Values with static members, as `HTTPClientError`
    /// does it, so callers switch on meaning rather than on text.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case interrupted, upstreamFailed, contentPolicyViolation, deadlineExceeded, outcomeUnknown, engineError, unexpectedCall, cancelled
            case notStarted, routeUnusable, supplierFailed
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        package var description: String { self.base.rawValue }

        /// This process is stopping (or lost its lease) mid-call: nothing is decided; the generation resumes later.
        package static let interrupted = Code(.interrupted)
        /// The upstream gave its final answer, and it is a failure (a failed run, a refused input).
        package static let upstreamFailed = Code(.upstreamFailed)
        /// The upstream's safety checker refused the request.
        package static let contentPolicyViolation = Code(.contentPolicyViolation)
        /// The upstream did not finish within the generation's deadline; it was cancelled.
        package static let deadlineExceeded = Code(.deadlineExceeded)
        /// A submit may have reached the upstream, but no handle came back: the request can be neither followed nor
        /// sent again. Whatever the upstream bills for it is ImageGate's loss.
        package static let outcomeUnknown = Code(.outcomeUnknown)
        /// The owner cancelled the generation and the work stopped before any image came back (upstream, it was
        /// cancelled too; `billedImages` says what the upstream may still bill).
        package static let cancelled = Code(.cancelled)
        /// The upstream refused to start the work (rate limit, overload) and kept refusing: nothing ran, nothing is
        /// billed. Another route may take it (the next issue's failover).
        package static let notStarted = Code(.notStarted)
        /// The route cannot work until an operator acts (a key refused, an account overdue, a model not opened, a
        /// closed endpoint): nothing ran. Another route may take it.
        package static let routeUnusable = Code(.routeUnusable)
        /// The supplier's own final failure (its runner went away, its prediction failed), with no output and no bill:
        /// the request was not at fault, so another route may take it.
        package static let supplierFailed = Code(.supplierFailed)
        /// The local engine failed.
        package static let engineError = Code(.engineError)
        /// A test double was called more often than scripted.
        package static let unexpectedCall = Code(.unexpectedCall)
    }

    package let code: Code
    package let message: String
    package let upstreamType: String?
    package let upstreamDetail: String?
    /// Images the upstream will bill although none is delivered (a run that completed upstream after ImageGate gave
    /// up, or an outcome it cannot know): recorded as upstream cost, so the operator sees the loss.
    package let billedImages: Int

    package init(code: Code, message: String, upstreamType: String? = nil, upstreamDetail: String? = nil, billedImages: Int = 0) {
        // The upstream's words reach the books, the logs and the user only through here: made storable once, so
        // no engine refuses them (a NUL in a PostgreSQL statement would fail every settlement of the generation).
        self.code = code
        self.message = message.storable
        self.upstreamType = upstreamType?.storable
        self.upstreamDetail = upstreamDetail?.storable
        self.billedImages = billedImages
    }

    /// The public error code of a generation that ended with this error.
    package var generationErrorCode: String {
        switch self.code {
        case .contentPolicyViolation: "content_policy_violation"
        case .cancelled: "cancelled"
        default: "generation_failed"
        }
    }
}
