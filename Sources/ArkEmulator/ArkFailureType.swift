import Essentials

/// The whole-call failures the emulator can inject, each with the HTTP status, code and type Ark answers
/// (docs: upstreams.md §3.5, §7.1; the 401 body is a measured one).
package enum ArkFailureType: String, Sendable, CaseIterable {
    /// 400 InvalidParameter: the input is wrong; final.
    case invalidParameter = "invalid_parameter"
    /// 400 InputTextSensitiveContentDetected: the prompt was refused by moderation; final.
    case contentPolicy = "content_policy"
    /// 401 AuthenticationError: the key is refused; the route is unusable.
    case authentication = "authentication"
    /// 404 InvalidEndpointOrModel.NotFound: the model is not open to this account; the route is unusable.
    case modelNotFound = "model_not_found"
    /// 429 ServerOverloaded: not started.
    case overloaded = "overloaded"
    /// 500 InternalServiceError, before any work: indistinguishable from a lost answer for the client.
    case internalError = "internal_error"

    var status: Int {
        switch self {
        case .invalidParameter, .contentPolicy: 400
        case .authentication: 401
        case .modelNotFound: 404
        case .overloaded: 429
        case .internalError: 500
        }
    }

    var code: String {
        switch self {
        case .invalidParameter: "InvalidParameter"
        case .contentPolicy: "InputTextSensitiveContentDetected"
        case .authentication: "AuthenticationError"
        case .modelNotFound: "InvalidEndpointOrModel.NotFound"
        case .overloaded: "ServerOverloaded"
        case .internalError: "InternalServiceError"
        }
    }

    var type: String {
        switch self {
        case .invalidParameter, .contentPolicy: "BadRequest"
        case .authentication: "Unauthorized"
        case .modelNotFound: "NotFound"
        case .overloaded: "TooManyRequests"
        case .internalError: "InternalServerError"
        }
    }

    var message: String {
        switch self {
        case .invalidParameter: "The parameter `size` specified in the request is not valid."
        case .contentPolicy: "The request failed because the input text may contain sensitive information."
        case .authentication: "The API key format is incorrect."
        case .modelNotFound: "The model or endpoint does not exist or you do not have access to it."
        case .overloaded: "The service is currently unable to handle additional requests due to server overload."
        case .internalError: "The service encountered an unexpected internal error."
        }
    }
}

/// Ark's error body: `{"error": {"code", "message" (ending in the request id), "param", "type"}}`.
enum ArkErrorBody {
    static func make(code: String, message: String, type: String, param: String = "", requestID: String) -> JSONValue {
        .object([
            "error": .object([
                "code": .string(code),
                "message": .string("\(message) Request id: \(requestID)"),
                "param": .string(param),
                "type": .string(type),
            ])
        ])
    }
}
