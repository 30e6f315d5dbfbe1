/// A request ImageGate refuses before any money moves. `code` is the stable machine-readable reason,
/// `param` names the parameter to blame.
public struct RequestError: Error, Sendable, Equatable {
    public let status: Int
    public let code: String
    public let message: String
    public let param: String?

    public init(status: Int, code: String, message: String, param: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.param = param
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
