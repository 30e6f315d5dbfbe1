import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Decides, from error types alone, whether an HTTP request provably never left this machine, so sending it again
/// cannot make the upstream do (and bill) the work twice.
///
/// Only failures to establish a connection qualify: no connection means no request bytes were written. Anything
/// that can happen after the request was written (a read time-out, a reset, a closed connection, a proxy's 502/504)
/// does not, whatever it looks like.
enum FalSendSafety {
    /// AsyncHTTPClient's errors raised while it was still getting a connection.
    static let connectionErrors: [HTTPClientError] = [
        .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout, .httpProxyHandshakeTimeout,
        .alreadyShutdown, .invalidURL, .emptyHost, .emptyScheme,
    ]

    /// Errors only `connect(2)` gives: the socket never reached an open connection. (Unreachable-network and
    /// time-out errors can also end a connection after the request was written, so they do not qualify here; on
    /// connect, NIO reports them as `NIOConnectionError` or `ChannelError.connectTimeout`, which do.)
    static let connectErrnos: Set<CInt> = [ECONNREFUSED, EADDRNOTAVAIL]

    static func failedBeforeSending(_ error: any Error) -> Bool {
        switch error {
        case let error as HTTPClientError:
            return Self.connectionErrors.contains(error)
        case is NIOConnectionError:
            return true
        case let error as ChannelError:
            if case .connectTimeout = error { return true }
            return false
        case let error as IOError:
            return Self.connectErrnos.contains(error.errnoCode)
        case let error as NIOSSLError:
            if case .handshakeFailed = error { return true }
            return false
        default:
            return false
        }
    }

    /// Errors that mean this task was cancelled (shutdown or a lost lease), not that the upstream failed.
    static func isCancellation(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let error = error as? HTTPClientError, error == .cancelled || error == .requestStreamCancelled { return true }
        return Task.isCancelled
    }
}
