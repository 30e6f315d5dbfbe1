import Crypto
import Essentials
import Hummingbird
import HummingbirdAuth

/// Guards `/admin/v1` with the operator's token (`--admin-token`), compared in constant time.
struct AdminAuthenticator: RouterMiddleware {
    let token: String

    func handle(
        _ request: Request,
        context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let bearer = request.headers.bearer else { throw APIError.unauthorized }
        // Comparing fixed-length digests keeps the comparison's time independent of the token's content and length.
        let given = SHA256.hash(data: Array(bearer.token.utf8))
        let expected = SHA256.hash(data: Array(self.token.utf8))
        guard ConstantTime.equal(Array(given), Array(expected)) else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}
