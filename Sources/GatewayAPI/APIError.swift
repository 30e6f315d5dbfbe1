import Essentials
import Foundation
import Generation
import HTTPTypes
import Hummingbird

/// An error as API users see it: `{"code", "message", "param"}` with a status. Internal error text never reaches
/// this type; only messages written for users do.
package struct APIError: HTTPResponseError, Sendable {
    package let status: HTTPResponse.Status
    package let code: String
    package let message: String
    package let param: String?
    package var headers: HTTPFields

    package init(status: HTTPResponse.Status, code: String, message: String, param: String? = nil, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers
    }

    package init(_ error: RequestError) {
        var headers = HTTPFields()
        // Billing refusals and conflicts are final: tell the official SDKs (which retry 409/429/5xx by default) not
        // to retry them.
        if error.isFinal { headers[HTTPField.Name("x-should-retry")!] = "false" }
        let status = error.code.httpStatus
        if let seconds = error.retryAfterSeconds, status == .tooManyRequests || status == .serviceUnavailable {
            headers[.retryAfter] = String(seconds)
        }
        RateLimitHeaders.add(error.rateLimit, to: &headers)
        self.init(
            status: status,
            code: error.code.rawValue,
            message: error.message,
            param: error.param,
            headers: headers
        )
    }

    package static let unauthorized = APIError(
        status: .unauthorized,
        code: "unauthorized",
        message: "Missing or invalid API key. Send it as 'Authorization: Bearer <key>'.",
        headers: [.wwwAuthenticate: "Bearer"]
    )

    package static func notFound(_ what: String = "The requested resource does not exist.") -> APIError {
        APIError(status: .notFound, code: "not_found", message: what)
    }

    package static let outputExpired = APIError(
        status: .gone,
        code: "output_expired",
        message: "This output has expired and was deleted. Outputs are kept for a limited time; download anything you want to keep."
    )

    /// A part ImageGate depends on (the database, the blob store) cannot be reached: nothing was done, try again.
    package static func unavailable(_ what: String, retryAfterSeconds: Int = 5) -> APIError {
        APIError(
            status: .serviceUnavailable,
            code: "service_unavailable",
            message: "\(what) is unreachable for the moment; nothing was done. Please try again.",
            headers: [.retryAfter: String(retryAfterSeconds)]
        )
    }

    /// A dependency that cannot be used now (unreachable, or full): 503 with its own code and `Retry-After`.
    package static func unavailable(_ error: any UnavailableDependency) -> APIError {
        APIError(
            status: .serviceUnavailable,
            code: error.code,
            message: error.publicMessage,
            headers: [.retryAfter: String(error.retryAfterSeconds)]
        )
    }

    package static func internalError(requestID: String) -> APIError {
        APIError(
            status: .internalServerError,
            code: "internal_error",
            message: "An internal error occurred (request \(requestID)). Please try again."
        )
    }

    /// The wire shape.
    struct Body: Encodable {
        let code: String
        let message: String
        let param: String?
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try JSONResponse.make(Body(code: self.code, message: self.message, param: self.param), status: self.status)
        response.headers.append(contentsOf: self.headers)
        return response
    }
}
