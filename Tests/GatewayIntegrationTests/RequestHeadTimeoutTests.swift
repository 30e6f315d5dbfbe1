import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import ImageGateApp

/// The head deadline cuts off a connection that sends no complete request head in time, and never one whose
/// requests are all read and still being answered (pipelined ones included).
@Suite struct RequestHeadTimeoutTests {
    static let head = HTTPRequest(method: .get, scheme: nil, authority: "x", path: "/v1/models")
    static let response = HTTPResponse(status: .ok)

    static func channel() throws -> (EmbeddedChannel, EmbeddedEventLoop) {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(handler: RequestHeadTimeoutHandler(timeout: .seconds(30)), loop: loop)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, loop)
    }

    @Test func aConnectionWithoutAHeadIsClosedAtTheDeadline() throws {
        let (channel, loop) = try Self.channel()
        loop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    @Test func aPipelinedRequestStillBeingAnsweredIsNotTimedAsAnIdleConnection() throws {
        let (channel, loop) = try Self.channel()
        // Two requests arrive in one packet; the second takes minutes to answer (a synchronous generation).
        for _ in 0..<2 {
            try channel.writeInbound(HTTPRequestPart.head(Self.head))
            try channel.writeInbound(HTTPRequestPart.end(nil))
        }
        try channel.writeOutbound(HTTPResponsePart.head(Self.response))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        loop.advanceTime(by: .seconds(120))
        #expect(channel.isActive, "the second request was read: the connection is busy, not idle")

        // Once it is answered too, the connection is idle and the next head must come in time.
        try channel.writeOutbound(HTTPResponsePart.head(Self.response))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        loop.advanceTime(by: .seconds(31))
        #expect(!channel.isActive)
    }
}
