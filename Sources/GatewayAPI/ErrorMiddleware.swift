import Hummingbird
import Logging

/// An error that already has the API's (or OpenAI's) JSON shape.
protocol ShapedError: HTTPResponseError {}

extension APIError: ShapedError {}
extension OpenAIError: ShapedError {}

/// Gives every error the API's JSON shape: framework errors (unknown route, body too large) are mapped to codes,
/// and anything unexpected becomes a 500 whose body carries only the request id; the details go to the log.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let methods: MethodTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any ShapedError {
            throw error
        } catch let error as any HTTPResponseError {
            switch error.status {
            case .notFound:
                let allowed = self.methods.allowed(for: request.uri.path)
                if !allowed.isEmpty {
                    throw APIError(
                        status: .methodNotAllowed,
                        code: "method_not_allowed",
                        message: "\(request.method) is not allowed here; use \(allowed.joined(separator: ", ")).",
                        headers: [.allow: allowed.joined(separator: ", ")]
                    )
                }
                throw APIError.notFound("No route for \(request.method) \(request.uri.path).")
            case .contentTooLarge: throw APIError(status: .contentTooLarge, code: "payload_too_large", message: "The request body is too large.")
            case .methodNotAllowed:
                throw APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here.")
            default: throw APIError(status: error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase)
            }
        } catch {
            context.logger.error("unhandled error", metadata: ["error": "\(error)"])
            throw APIError.internalError(requestID: context.logger[metadataKey: "hb.request.id"].map { "\($0)" } ?? "-")
        }
    }
}
