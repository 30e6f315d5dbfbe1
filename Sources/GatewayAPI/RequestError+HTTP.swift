import Generation
import HTTPTypes

extension RequestError.Code {
    /// The one place a refusal's code becomes an HTTP status: the domain knows codes, only this layer knows HTTP.
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .insufficientBalance, .dailyLimitExceeded: HTTPResponse.Status(code: 402)
        case .idempotencyKeyReused: .conflict
        case .modelNotFound: .notFound
        case .payloadTooLarge: .contentTooLarge
        case .requestTimeout: .requestTimeout
        case .rateLimited, .concurrencyLimitExceeded: .tooManyRequests
        case .overloaded: .serviceUnavailable
        default: .badRequest
        }
    }
}
