import Billing
import Customers
import Hummingbird
import HummingbirdAuth
import Logging
import NIOCore

/// Per-request state: the framework's core plus the identity proven by the API key (hummingbird-auth's
/// `AuthRequestContext`, so its `requireIdentity()` serves the routes behind `APIKeyAuthenticator`).
package struct GatewayRequestContext: AuthRequestContext, PeerAddressContext {
    package var coreContext: CoreRequestContextStorage
    /// The connection's peer (the client, or the proxy in front of it), for the access log.
    package let peerAddress: String?
    /// Set by `APIKeyAuthenticator` on authenticated routes; the account then tags every log line of the request.
    package var identity: AuthenticatedKey? {
        didSet { self.logger[metadataKey: "account"] = self.identity.map { "\($0.accountID)" } }
    }

    /// Set by `AccountAuthenticator` when a session cookie (not a key) authenticated the request.
    package var viewer: Viewer? {
        didSet { self.logger[metadataKey: "account"] = self.viewer.map { "\($0.accountID)" } }
    }

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
        self.identity = nil
        self.viewer = nil
    }

    /// The account the request acts for: its key's, or its session's.
    func requireAccountID() throws -> String {
        if let identity = self.identity { return identity.accountID }
        if let viewer = self.viewer { return viewer.accountID }
        throw APIError.unauthorized
    }

    /// The signed-in person: routes that manage keys take a session only (a key cannot mint keys).
    func requireViewer() throws -> Viewer {
        guard let viewer = self.viewer else {
            throw APIError(
                status: .forbidden,
                code: "session_required",
                message: "Keys are managed signed in, on the account page (/account), not with an API key."
            )
        }
        return viewer
    }
}
