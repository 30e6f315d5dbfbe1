import AsyncHTTPClient
import NIOCore
import NIOPosix
import Testing

@testable import Providers

/// Which failures prove a submit never left this machine (so sending it again cannot make fal bill twice).
@Suite struct FalSendSafetyTests {
    struct Other: Error {}

    @Test(arguments: [
        (HTTPClientError.connectTimeout, true),
        (HTTPClientError.getConnectionFromPoolTimeout, true),
        (HTTPClientError.tlsHandshakeTimeout, true),
        (HTTPClientError.readTimeout, false),
        (HTTPClientError.remoteConnectionClosed, false),
        (HTTPClientError.deadlineExceeded, false),
        (HTTPClientError.cancelled, false),
    ])
    func clientErrors(error: HTTPClientError, safe: Bool) {
        #expect(FalSendSafety.failedBeforeSending(error) == safe)
    }

    @Test func connectErrorsAreSafeAndWriteErrorsAreNot() {
        #expect(FalSendSafety.failedBeforeSending(IOError(errnoCode: ECONNREFUSED, reason: "connect")))
        #expect(FalSendSafety.failedBeforeSending(ChannelError.connectTimeout(.seconds(1))))
        #expect(!FalSendSafety.failedBeforeSending(IOError(errnoCode: ECONNRESET, reason: "read")))
        #expect(!FalSendSafety.failedBeforeSending(IOError(errnoCode: EPIPE, reason: "write")))
        // A retransmission time-out or a lost route can end a connection after the request was written.
        #expect(!FalSendSafety.failedBeforeSending(IOError(errnoCode: ETIMEDOUT, reason: "read")))
        #expect(!FalSendSafety.failedBeforeSending(IOError(errnoCode: EHOSTUNREACH, reason: "read")))
        #expect(!FalSendSafety.failedBeforeSending(ChannelError.ioOnClosedChannel))
        #expect(!FalSendSafety.failedBeforeSending(Other()))
    }

    @Test func aRealRefusedConnectionIsClassifiedSafe() async throws {
        // Port 9 on loopback: nothing listens, the kernel refuses the connection before any byte is written.
        var request = HTTPClientRequest(url: "http://127.0.0.1:9/submit")
        request.method = .POST
        do {
            _ = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            Issue.record("the connection should have been refused")
        } catch {
            #expect(FalSendSafety.failedBeforeSending(error), "\(error)")
        }
    }
}
