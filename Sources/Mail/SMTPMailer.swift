import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Sends each message over its own SMTP connection (mail is rare here: sign-ups and password resets, so a pool would
/// only hold idle connections a server may drop). See ``SMTPConversation`` for the steps.
package struct SMTPMailer: MailSender {
    package let settings: SMTPSettings
    let group: any EventLoopGroup
    let logger: Logger

    package init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger) {
        self.settings = settings
        self.group = group
        self.logger = logger
    }

    /// Renders `message` (refusing bad addresses and header injection before any connection), then delivers it within
    /// the overall timeout.
    package func send(_ message: MailMessage) async throws {
        let rendered = try MessageRenderer(from: self.settings.from).render(message)
        let recipient = try MailAddress(parsing: message.to).address
        let tls = try self.tlsContext()
        let hostname = Self.isIPAddress(self.settings.host) ? nil : self.settings.host
        let conversation = SMTPConversation(settings: self.settings, tls: tls, serverHostname: hostname)
        let channel = try await self.connect(tls: tls, serverHostname: hostname)
        let implicitTLS = self.settings.security == .implicitTLS
        let logger = self.logger
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await channel.executeThenClose { inbound, outbound in
                        let transport = SMTPTransport(
                            inbound: inbound,
                            outbound: outbound,
                            channel: channel.channel,
                            encrypted: implicitTLS,
                            logger: logger
                        )
                        try await conversation.deliver(rendered, to: recipient, over: transport)
                    }
                }
                group.addTask { [overall = self.settings.overallTimeout] in
                    try await Task.sleep(for: overall)
                    // Closing ends the conversation's wait for a reply wherever it is.
                    channel.channel.close(promise: nil)
                    throw MailError.timeout.with("no answer within \(overall)")
                }
                _ = try await group.next()
                group.cancelAll()
            }
        } catch let error as MailError {
            throw error
        } catch let error as NIOSSLError {
            throw MailError.tlsFailed.with("TLS with \(self.settings.host): \(error)")
        } catch let error as BoringSSLError {
            throw MailError.tlsFailed.with("TLS with \(self.settings.host): \(error)")
        } catch let error as NIOSSLExtraError {
            throw MailError.tlsFailed.with("TLS with \(self.settings.host): \(error)")
        } catch {
            throw MailError.protocolError.with("talking to \(self.settings.host): \(error)")
        }
        self.logger.info("mail sent", metadata: ["server": .string(self.settings.description)])
    }

    /// A TCP connection with the reply decoder (and TLS first, with smtps://), within the connect timeout.
    func connect(tls: NIOSSLContext?, serverHostname: String?) async throws -> NIOAsyncChannel<SMTPReply, ByteBuffer> {
        let implicitTLS = self.settings.security == .implicitTLS
        do {
            return try await ClientBootstrap(group: self.group)
                .connectTimeout(.seconds(self.settings.connectTimeout.components.seconds))
                .connect(host: self.settings.host, port: self.settings.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if implicitTLS, let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        try channel.pipeline.syncOperations.addHandler(STARTTLSGuard())
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw MailError.connectFailed.with("\(self.settings.host):\(self.settings.port): \(error)")
        }
    }

    /// The client TLS context: the system's trust roots plus `--smtp-ca-file`'s, full verification (chain and name).
    func tlsContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let file = self.settings.trustRootsFile {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw MailError.invalidSettings.with("the trust-roots file \(file) cannot be read")
            }
            configuration.additionalTrustRoots = [.file(file)]
        }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw MailError.invalidSettings.with("TLS cannot be set up (is \(self.settings.trustRootsFile ?? "the trust store") PEM?): \(error)")
        }
    }

    /// Whether `host` is an IPv4 or IPv6 literal, which TLS cannot send as a server name (SNI).
    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
