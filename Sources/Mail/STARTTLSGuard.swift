import NIOCore
import NIOTLS

/// Refuses any reply that reaches the client between the server's STARTTLS answer and the end of the TLS handshake.
///
/// Such a reply was sent in plaintext after the server agreed to TLS, so a man in the middle may have written it (the
/// STARTTLS command-injection class of bug, CVE-2011-0411): read after the upgrade, it would pass for the server's
/// encrypted answer to the next command. The guard sits after the reply decoder, so it sees replies in the order they
/// arrived, whether they came in the same read as the answer or a later one; the state moves on the event loop only.
final class STARTTLSGuard: ChannelInboundHandler {
    typealias InboundIn = SMTPReply
    typealias InboundOut = SMTPReply

    /// Where the upgrade is.
    enum State {
        /// No STARTTLS asked (or already done): replies pass.
        case open
        /// STARTTLS is about to be sent: the next reply is its answer.
        case awaitingAnswer
        /// The answer came: nothing may arrive until the handshake completes.
        case awaitingHandshake
    }

    private(set) var state = State.open

    /// Called on the event loop before STARTTLS is written, so the answer cannot overtake it.
    func expectAnswer() { self.state = .awaitingAnswer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.state {
        case .open: context.fireChannelRead(data)
        case .awaitingAnswer:
            self.state = .awaitingHandshake
            context.fireChannelRead(data)
        case .awaitingHandshake:
            // The error ends the reply stream, so the conversation stops at its next read and closes the connection;
            // closing here would instead fail its TLS upgrade with a vaguer "I/O on closed channel".
            context.fireErrorCaught(MailError.protocolError.with("the server sent a reply after its STARTTLS answer, before TLS began"))
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, self.state == .awaitingHandshake { self.state = .open }
        context.fireUserInboundEventTriggered(event)
    }
}
