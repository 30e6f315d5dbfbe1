import AsyncHTTPClient
import Foundation
import Metrics
import NIOCore
import NIOPosix

/// `imagegate_upstream_calls_total{provider, outcome}`: every HTTP call to an upstream, answered or not. The outcome
/// is the status class (`2xx`, `4xx`, `5xx`) of an answer, or why there was none: `connect_failed` (refused,
/// unreachable, no route, TLS), `timeout` (connect or whole-call deadline) or `failed` (anything else in transit).
enum UpstreamCallMetrics {
    static func record(provider: String, outcome: String) {
        Counter(label: "imagegate_upstream_calls_total", dimensions: [("provider", provider), ("outcome", outcome)]).increment()
    }

    static func outcome(of error: any Error) -> String {
        if let client = error as? HTTPClientError {
            switch client {
            case .connectTimeout, .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout: return "timeout"
            case .remoteConnectionClosed, .cancelled: return "failed"
            default: break
            }
        }
        if error is NIOConnectionError { return "connect_failed" }
        if let channel = error as? ChannelError, case .connectTimeout = channel { return "timeout" }
        if let io = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, ECONNRESET].contains(io.errnoCode) {
            return "connect_failed"
        }
        let text = String(describing: error).lowercased()
        if text.contains("connection refused") || text.contains("connect") && text.contains("fail") { return "connect_failed" }
        return "failed"
    }
}
