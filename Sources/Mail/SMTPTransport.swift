import Logging
import NIOCore
import NIOSSL

/// One open connection to an SMTP server, seen as the conversation needs it: send a command line, wait for the whole
/// reply, upgrade to TLS. Lives only inside the channel's `executeThenClose`, which owns the reader and the writer.
final class SMTPTransport {
    private var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private let logger: Logger
    /// Whether bytes are encrypted now (from the start with smtps://, after STARTTLS with smtp://).
    private(set) var isEncrypted: Bool

    init(
        inbound: NIOAsyncChannelInboundStream<SMTPReply>,
        outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        encrypted: Bool,
        logger: Logger
    ) {
        self.replies = inbound.makeAsyncIterator()
        self.writer = outbound
        self.channel = channel
        self.isEncrypted = encrypted
        self.logger = logger
    }

    /// Sends one command line; `logAs` replaces it in the log when it carries a credential.
    func send(_ command: String, logAs: String? = nil) async throws {
        self.logger.debug("smtp >", metadata: ["command": .string(logAs ?? command)])
        try await self.write(command + "\r\n")
    }

    /// Sends the message's dot-stuffed bytes after DATA's 354 (never logged: it is the mail).
    func sendData(_ payload: String) async throws {
        try await self.write(payload)
    }

    /// Writes `text`. A write fails once the channel has closed, and the reason (a failed TLS handshake, a refused
    /// reply) then waits in the reply stream: report that rather than NIO's "I/O on closed channel".
    private func write(_ text: String) async throws {
        do {
            try await self.writer.write(ByteBuffer(string: text))
        } catch {
            _ = try await self.replies.next()
            throw error
        }
    }

    /// The server's next whole reply; the connection closing first is a ``MailError/protocolError``.
    func reply() async throws -> SMTPReply {
        guard let reply = try await self.replies.next() else {
            throw MailError.protocolError.with("the server closed the connection")
        }
        self.logger.debug("smtp <", metadata: ["code": .stringConvertible(reply.code), "text": .string(reply.text)])
        return reply
    }

    /// Arms the ``STARTTLSGuard`` on the event loop; call it before sending STARTTLS.
    func expectSTARTTLSAnswer() async throws {
        let channel = self.channel
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.handler(type: STARTTLSGuard.self).expectAnswer()
        }.get()
    }

    /// Puts TLS in front of everything else in the pipeline, so the reply decoder reads decrypted bytes from now on;
    /// the handshake's outcome shows with the next reply (a failed one ends the reply stream with its error).
    func startTLS(_ context: NIOSSLContext, serverHostname: String?) async throws {
        let channel = self.channel
        try await channel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.get()
        self.isEncrypted = true
    }
}
