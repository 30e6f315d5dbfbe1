/// A request ImageGate refuses before any money moves. `code` is the stable machine-readable reason,
/// `param` names the parameter to blame.
public struct RequestError: Error, Sendable, Equatable {
    public let status: Int
    public let code: String
    public let message: String
    public let param: String?
    /// For 429: when to try again.
    public let retryAfterSeconds: Int?

    public init(status: Int, code: String, message: String, param: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// Whether an SDK retrying the same request could succeed (billing refusals and conflicts are final).
    public var isFinal: Bool { self.status == 402 || self.status == 409 }

    public static func idempotencyKeyReused() -> RequestError {
        RequestError(
            status: 409,
            code: "idempotency_key_reused",
            message: "This Idempotency-Key was already used with a different request in the last 24 hours.",
            param: "Idempotency-Key"
        )
    }

    public static func invalid(_ param: String, _ message: String) -> RequestError {
        RequestError(status: 400, code: "invalid_parameter", message: message, param: param)
    }

    public static func invalidJSON(_ message: String) -> RequestError {
        RequestError(status: 400, code: "invalid_json", message: message)
    }

    public static func modelNotFound(_ id: String) -> RequestError {
        RequestError(status: 404, code: "model_not_found", message: "The model '\(id)' does not exist. See GET /v1/models.", param: "model")
    }

    public static func insufficientBalance(required: String, available: String) -> RequestError {
        RequestError(
            status: 402,
            code: "insufficient_balance",
            message: "This request needs $\(required) and the available balance is $\(available). Add credit and try again."
        )
    }

    public static func tooLarge(_ message: String, param: String? = nil) -> RequestError {
        RequestError(status: 413, code: "payload_too_large", message: message, param: param)
    }
}
