import Crypto
import Foundation
import Hummingbird

/// Guards `/admin/v1` with the operator's token (`--admin-token`), compared in constant time.
struct AdminAuthenticator: RouterMiddleware {
    let token: String

    func handle(
        _ request: Request,
        context: GatewayRequestContext,
        next: (Request, GatewayRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { throw APIError.unauthorized }
        let given = SHA256.hash(data: Array(header.dropFirst(7).utf8))
        let expected = SHA256.hash(data: Array(self.token.utf8))
        // Comparing fixed-length digests keeps the comparison's time independent of the token's content.
        guard zip(given, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else { throw APIError.unauthorized }
        return try await next(request, context)
    }
}
