import NIOCore
import NIOEmbedded
import NIOTLS
import Testing

@testable import Mail

/// The reply decoder and the STARTTLS guard in a real pipeline (NIO's embedded channel): a reply that arrives between
/// the STARTTLS answer and the end of the handshake is refused, whether in the answer's read or a later one.
@Suite struct STARTTLSGuardTests {
    /// A pipeline with the decoder and the guard, armed as the conversation arms it before sending STARTTLS.
    static func armedChannel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
        try channel.pipeline.syncOperations.addHandler(STARTTLSGuard())
        try channel.pipeline.syncOperations.handler(type: STARTTLSGuard.self).expectAnswer()
        return channel
    }

    @Test func aReplyInjectedInTheAnswersReadIsRefused() throws {
        let channel = try Self.armedChannel()
        #expect(throws: MailError.protocolError) { try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n250 injected\r\n")) }
        #expect(try channel.readInbound(as: SMTPReply.self)?.code == 220)
        #expect(try channel.readInbound(as: SMTPReply.self) == nil, "the injected reply never reaches the conversation")
    }

    @Test func aReplyInjectedInALaterReadIsRefused() throws {
        let channel = try Self.armedChannel()
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n"))
        #expect(try channel.readInbound(as: SMTPReply.self)?.code == 220)
        #expect(throws: MailError.protocolError) { try channel.writeInbound(ByteBuffer(string: "250-injected\r\n250 AUTH PLAIN\r\n")) }
        #expect(try channel.readInbound(as: SMTPReply.self) == nil)
    }

    @Test func repliesPassAgainOnceTheHandshakeCompletes() throws {
        let channel = try Self.armedChannel()
        try channel.writeInbound(ByteBuffer(string: "220 go ahead\r\n"))
        channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        try channel.writeInbound(ByteBuffer(string: "250-mail.example.com\r\n250 AUTH PLAIN\r\n"))
        #expect(try channel.readInbound(as: SMTPReply.self)?.code == 220)
        #expect(try channel.readInbound(as: SMTPReply.self)?.capabilities.authMechanisms == ["PLAIN"])
    }
}
