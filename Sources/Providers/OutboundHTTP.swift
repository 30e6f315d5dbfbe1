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
}
