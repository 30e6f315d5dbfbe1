import Billing
import Foundation
import Hummingbird
import HummingbirdAuth
import Logging

/// Checks `Authorization: Bearer <key>` and records who is calling. A missing, malformed, unknown or revoked key is
/// 401 with the same message, so the answer says nothing about which keys exist.
struct APIKeyAuthenticator: RouterMiddleware {
    let keys: APIKeyStore

    func handle(
        _ request: Request,
        context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let bearer = request.headers.bearer,
            let identity = try await self.keys.authenticate(secret: bearer.token.trimmingCharacters(in: .whitespaces))
        else {
            throw APIError.unauthorized
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "account"] = "\(identity.accountID)"
        return try await next(request, context)
    }
}
