import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Errors in OpenAI's envelope, `{"error": {"message", "type", "param", "code"}}`, with the native API's status
/// codes, so the official SDKs raise their usual exception classes.
struct OpenAIError: HTTPResponseError {
    let base: APIError

    var status: HTTPResponse.Status { self.base.status }

    /// OpenAI's error `type` for a status.
    var type: String {
        switch self.base.status.code {
        case 401: "authentication_error"
        case 402: "insufficient_quota"
        case 429: "rate_limit_error"
        case 500...: "server_error"
        default: "invalid_request_error"
        }
    }

    struct Envelope: Encodable {
        struct Body: Encodable {
            let message: String
            let type: String
            let param: String?
            let code: String?
        }

        let error: Body
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Envelope(error: .init(message: self.base.message, type: self.type, param: self.base.param, code: self.base.code))
        var response = try JSONResponse.make(body, status: self.base.status)
        response.headers.append(contentsOf: self.base.headers)
        return response
    }
}

/// Re-shapes every error under the OpenAI-compatible routes into OpenAI's envelope (including 401s from the key
/// check, which runs inside it, and unexpected 500s).
struct OpenAIErrorMiddleware: RouterMiddleware {
    let methods: MethodTable

    func handle(
        _ request: Request,
        context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw OpenAIError(base: error)
        } catch let error as OpenAIError {
            throw error
        } catch let error as any HTTPResponseError {
            throw OpenAIError(base: APIError.framework(error, request: request, methods: self.methods))
        } catch {
            // Anything unexpected: OpenAI's envelope too, so the SDKs raise their InternalServerError.
            throw OpenAIError(base: APIError.unexpected(error, logger: context.logger))
        }
    }
}
