import Accounts
import Billing
import Foundation
import Generation
import Hummingbird
import HummingbirdAuth

/// Checks `Authorization: Bearer <key>` through hummingbird-auth's authenticator middleware, which records the
/// identity on the context. A missing, malformed, unknown or revoked key is 401 with the same message, so the
/// answer says nothing about which keys exist (every route behind this one needs a key: none passes without). A
/// valid key of an account the operator disabled is 403 `account_disabled`.
struct APIKeyAuthenticator: AuthenticatorMiddleware {
    typealias Context = GatewayRequestContext
    let operations: Operations

    func authenticate(request: Request, context: GatewayRequestContext) async throws -> AuthenticatedKey? {
        guard let bearer = request.headers.bearer,
            let identity = try await self.operations.authenticate(secret: bearer.token.trimmingCharacters(in: .whitespaces))
        else {
            throw APIError.unauthorized
        }
        guard !identity.accountDisabled else { throw APIError.accountDisabled }
        return identity
    }
}

extension APIError {
    /// A disabled account's key or session.
    static let accountDisabled = APIError(
        status: .forbidden,
        code: "account_disabled",
        message: "This account is disabled by the server's operator; its balance is kept. Contact the operator."
    )
}
