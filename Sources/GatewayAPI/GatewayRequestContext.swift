import Billing
import Hummingbird

/// Per-request state: the framework's core plus the identity proven by the API key.
public struct GatewayRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `APIKeyAuthenticator` on authenticated routes.
    public var identity: AuthenticatedKey?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.identity = nil
    }

    /// The caller's identity; routes behind the authenticator can rely on it.
    func requireIdentity() throws -> AuthenticatedKey {
        guard let identity = self.identity else { throw APIError.unauthorized }
        return identity
    }
}
