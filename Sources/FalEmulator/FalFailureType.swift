import Essentials

/// The failures the emulator can inject, each answered with fal's documented shape for it.
package enum FalFailureType: String, Sendable, CaseIterable {
    /// Infrastructure: the runner went away (fal: 503, flat `{detail, error_type}`).
    case runnerDisconnected = "runner_disconnected"
    /// Infrastructure: the request ran out of time (fal: 504).
    case requestTimeout = "request_timeout"
    /// The model refused the input (fal: 422, `detail` list).
    case validation = "validation"
    /// The safety checker flagged it (fal: 422, `detail` list with type `content_policy_violation`).
    case contentPolicy = "content_policy"
    /// Infrastructure, with a message carrying U+0000 (a runner's raw output), which PostgreSQL cannot store as is.
    case nulMessage = "nul_message"

    /// The HTTP status of the result endpoint for this failure.
    var status: Int {
        switch self {
        case .runnerDisconnected, .nulMessage: 503
        case .requestTimeout: 504
        case .validation, .contentPolicy: 422
        }
    }

    /// `error` and `error_type` as the status endpoint reports them on a failed `COMPLETED` request.
    var statusError: (message: String, type: String) {
        switch self {
        case .runnerDisconnected: ("Runner disconnected", "runner_disconnected")
        case .requestTimeout: ("Request timed out", "request_timeout")
        case .nulMessage: ("Runner crashed: \u{0}\u{0}core dumped", "runner_disconnected")
        case .validation, .contentPolicy: ("Invalid status code: 422", "validation_error")
        }
    }

    /// The result endpoint's body for this failure.
    var resultBody: [String: JSONValue] {
        switch self {
        case .runnerDisconnected, .requestTimeout, .nulMessage:
            let (message, type) = self.statusError
            return ["detail": .string(message), "error_type": .string(type)]
        case .validation:
            return [
                "detail": .array([
                    .object([
                        "loc": .array([.string("body"), .string("image_size")]),
                        "msg": .string("Image size is outside the supported range."),
                        "type": .string("value_error"),
                    ])
                ])
            ]
        case .contentPolicy:
            return [
                "detail": .array([
                    .object([
                        "loc": .array([.string("body"), .string("prompt")]),
                        "msg": .string("The content was flagged by a content checker."),
                        "type": .string("content_policy_violation"),
                        "url": .string("https://docs.fal.ai/errors#content_policy_violation"),
                    ])
                ])
            ]
        }
    }
}
