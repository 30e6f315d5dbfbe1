import AsyncHTTPClient
import NIOCore

extension HTTPClient.Configuration {
    /// The settings of every client ImageGate opens to the outside (the upstream, output downloads, reference images).
    ///
    /// Redirects are never followed by the client: where one must be (reference images), it is followed by hand so
    /// each hop passes the address checks. A connect timeout bounds a dead host; a read timeout bounds a peer that
    /// stops sending mid-answer (the head or the body), so no fetch can hold a connection, or a slot of a limiter,
    /// for ever. A peer that keeps trickling bytes is bounded by the caller's overall deadline, not here.
    package static func outbound(
        connectTimeout: TimeAmount = .seconds(10),
        readTimeout: TimeAmount = .seconds(30),
        connectionsPerHost: Int = 8
    ) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: connectTimeout, read: readTimeout)
        )
        configuration.httpVersion = .automatic
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connectionsPerHost)
        return configuration
    }

    /// The client of submits that must reach an upstream exactly once: every request on a connection of its own,
    /// opened for it and closed after it (HTTP/1.1, one use per connection). On a pooled keep-alive connection,
    /// a server closing it while idle races the next request written on it, and that request fails with
    /// `remoteConnectionClosed` whether or not a byte of it left, so it could be neither resent nor known unsent.
    /// On a connection of its own, every failure before the request is written is a failure to connect, which
    /// `FalSendSafety` knows is safe to resend. The price is one handshake per submit, against a generation of
    /// seconds.
    package static func submits(connectTimeout: TimeAmount = .seconds(10), readTimeout: TimeAmount = .seconds(30)) -> HTTPClient.Configuration {
        var configuration = Self.outbound(connectTimeout: connectTimeout, readTimeout: readTimeout, connectionsPerHost: 64)
        configuration.httpVersion = .http1Only
        configuration.maximumUsesPerConnection = 1
        // A refused connection fails the call at once: the caller's own tries (with their backoff) are the only
        // retries. Left on, AHC kept retrying for the whole connect time-out on each of them, so a supplier that was
        // down held every generation 65 s (six tries of 10 s) before it could move to the next route.
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }
}
