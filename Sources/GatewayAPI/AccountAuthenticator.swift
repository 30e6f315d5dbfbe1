import Customers
import Hummingbird

/// The account routes' door: an API key (exactly as `APIKeyAuthenticator` checks it), or else the session cookie of
/// a signed-in person, whose state-changing requests must also pass the same-origin check (CSRF). A request with an
/// `Authorization` header is judged by its key alone, so a key never falls back to a cookie.
struct AccountAuthenticator: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let keys: APIKeyAuthenticator
    let customers: Customers
    let sameOrigin: SameOriginCheck

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        guard request.headers[.authorization] == nil, let token = SessionCookie.token(in: request) else {
            context.identity = try await self.keys.authenticate(request: request, context: context)
            return try await next(request, context)
        }
        guard let viewer = try await self.customers.viewer(session: token) else {
            throw APIError(status: .unauthorized, code: "invalid_session", message: "Your session has ended. Sign in again at /signin.")
        }
        guard !viewer.accountDisabled else { throw APIError.accountDisabled }
        if request.method != .get && request.method != .head {
            try self.sameOrigin.check(request)
        }
        context.viewer = viewer
        return try await next(request, context)
    }
}
