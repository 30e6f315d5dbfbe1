import Billing
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

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
        self.identity = nil
    }
}
