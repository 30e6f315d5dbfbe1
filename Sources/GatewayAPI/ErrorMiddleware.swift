import Blobs
import Essentials
import Generation
import Hummingbird
import Logging
import WebFace

/// An error that already has the API's (or OpenAI's) JSON shape.
protocol ShapedError: HTTPResponseError {}

extension APIError: ShapedError {}
extension OpenAIError: ShapedError {}

/// Gives every error the API's JSON shape: framework errors (unknown route, body too large) are mapped to codes,
/// and anything unexpected becomes a 500 whose body carries only the request id; the details go to the log.
/// A browser that navigates to an address no route has gets the web face's not-found page instead.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let methods: MethodTable
    /// The web face, whose not-found page browsers get; nil where no pages are served (a controller's own tests).
    var web: WebController<Context>? = nil

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any ShapedError {
            throw error
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, self.methods.allowed(for: request.uri.path).isEmpty, let page = self.web?.notFoundPage(for: request) {
                return page
            }
            throw APIError.framework(error, request: request, methods: self.methods)
        } catch let error as any UnavailableDependency {
            context.logger.warning("dependency unreachable", metadata: ["error": "\(error)", "dependency": "\(error.dependencyName)"])
            throw APIError.unavailable(error)
        } catch BlobError.unavailable(let reason) {
            context.logger.warning("blob store unreachable", metadata: ["error": "\(reason)"])
            throw APIError.unavailable("The output store", retryAfterSeconds: 10)
        } catch {
            throw APIError.unexpected(error, logger: context.logger)
        }
    }
}

extension APIError {
    /// A framework error (unknown route, body too large, …) with the API's code for it.
    static func framework(_ error: any HTTPResponseError, request: Request, methods: MethodTable) -> APIError {
        switch error.status {
        case .notFound:
            let allowed = methods.allowed(for: request.uri.path)
            if !allowed.isEmpty {
                return APIError(
                    status: .methodNotAllowed,
                    code: "method_not_allowed",
                    message: "\(request.method) is not allowed here; use \(allowed.joined(separator: ", ")).",
                    headers: [.allow: allowed.joined(separator: ", ")]
                )
            }
            return APIError.notFound("No route for \(request.method) \(request.uri.path).")
        case .contentTooLarge: return APIError(status: .contentTooLarge, code: "payload_too_large", message: "The request body is too large.")
        case .methodNotAllowed:
            return APIError(status: .methodNotAllowed, code: "method_not_allowed", message: "\(request.method) is not allowed here.")
        default: return APIError(status: error.status, code: "http_\(error.status.code)", message: error.status.reasonPhrase)
        }
    }

    /// Anything unexpected: logged in full, answered with only the request id.
    static func unexpected(_ error: any Error, logger: Logger) -> APIError {
        logger.error("unhandled error", metadata: ["error": "\(error)"])
        return APIError.internalError(requestID: logger.requestID ?? "-")
    }
}
