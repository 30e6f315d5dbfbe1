/// The classes a supplier's HTTP refusal falls into, worded once for every supplier (Ark, OpenAI-compatible servers,
/// Replicate): each supplier's mapping decides which class an answer is, these say it the same way.
extension SupplierVerdict {
    /// Not started (a 429, an overload): may be sent again, after `Retry-After` when the supplier says.
    static func busy(_ response: SupplierResponse, said: String, upstreamType: String) -> SupplierVerdict {
        .refusedToStart(
            ProviderError(code: .notStarted, message: "The upstream is busy: \(said)", upstreamType: upstreamType, upstreamDetail: response.text),
            retryAfter: response.retryAfter
        )
    }

    /// The route cannot work until an operator acts (a key refused, an account out of credit, a model not opened):
    /// nothing ran.
    static func routeRefused(_ response: SupplierResponse, said: String, upstreamType: String) -> SupplierVerdict {
        .final(
            ProviderError(
                code: .routeUnusable,
                message: "The upstream refused this route: \(said)",
                upstreamType: upstreamType,
                upstreamDetail: response.text
            )
        )
    }

    /// The request itself was refused (bad input): final, sending it again would be refused again.
    static func requestRefused(_ response: SupplierResponse, said: String, upstreamType: String) -> SupplierVerdict {
        .final(
            ProviderError(
                code: .upstreamFailed,
                message: "The upstream refused the request: \(said)",
                upstreamType: upstreamType,
                upstreamDetail: response.text
            )
        )
    }

    /// Refused by the supplier's safety checker: final, the reason shown to the user.
    static func flagged(_ response: SupplierResponse, upstreamType: String) -> SupplierVerdict {
        .final(.contentPolicy(upstreamType: upstreamType, detail: response.text))
    }

    /// A failure after the request was written (a 500, a proxy's 502/504): it may have run and been billed, so it is
    /// never sent again and the images asked for are recorded as the possible bill.
    static func lostAfterSending(_ response: SupplierResponse, upstreamType: String, images: Int) -> SupplierVerdict {
        .final(
            ProviderError(
                code: .outcomeUnknown,
                message: "The upstream failed after the request was sent (HTTP \(response.status)); it was not sent again.",
                upstreamType: upstreamType,
                upstreamDetail: response.text,
                billedImages: images
            )
        )
    }
}

extension ProviderError {
    /// The supplier's safety checker refused the request (or every image it made).
    static func contentPolicy(upstreamType: String, detail: String, billed: Int = 0) -> ProviderError {
        ProviderError(
            code: .contentPolicyViolation,
            message: "The request was flagged by the content checker.",
            upstreamType: upstreamType,
            upstreamDetail: detail,
            billedImages: billed
        )
    }

    /// A request an asynchronous supplier (fal, Replicate) was told to cancel because ImageGate gave it up (its
    /// deadline passed, its handle could not be saved). `reason` is what the user reads; `detail` (an internal
    /// error's own text) and the cancel's answer go to the operator only.
    static func abandoned(reason: String, upstreamType: String, detail: String?, cancelAnswer: String, billed: Int) -> ProviderError {
        ProviderError(
            code: .deadlineExceeded,
            message: "\(reason) The request was cancelled upstream.",
            upstreamType: upstreamType,
            upstreamDetail: [detail, "cancel: \(cancelAnswer)"].compactMap { $0 }.joined(separator: "; "),
            billedImages: billed
        )
    }
}
