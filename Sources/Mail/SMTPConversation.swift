import NIOSSL

/// The steps of delivering one message (RFC 5321 §3, §4.1): greeting, EHLO, STARTTLS and EHLO again when the server
/// offers it, AUTH PLAIN when there are credentials, MAIL FROM, RCPT TO, DATA, QUIT. Each step names the reply it
/// needs; any other is thrown as a ``MailError`` carrying the server's text.
struct SMTPConversation {
    let settings: SMTPSettings
    /// The TLS context for STARTTLS (nil with smtps://, where TLS is already on).
    let tls: NIOSSLContext?
    /// The host name the certificate must name; nil for an IP address (NIOSSL then checks the address itself).
    let serverHostname: String?

    /// Runs the whole conversation on `transport` for the rendered `message` to `recipient`.
    func deliver(_ message: String, to recipient: String, over transport: SMTPTransport) async throws {
        try await self.expect(220, from: transport, step: "greeting")
        var capabilities = try await self.ehlo(transport)
        if !transport.isEncrypted, capabilities.startTLS, let tls {
            // Anything the server sends after its answer and before the handshake is refused (STARTTLSGuard).
            try await transport.expectSTARTTLSAnswer()
            try await transport.send("STARTTLS")
            try await self.expect(220, from: transport, step: "STARTTLS")
            try await transport.startTLS(tls, serverHostname: self.serverHostname)
            // RFC 3207 §4.2: forget what was learnt in plaintext and ask again over TLS.
            capabilities = try await self.ehlo(transport)
        }
        if let credentials = self.settings.credentials {
            // A password over plaintext could be read by anyone on the path; without STARTTLS, nothing is sent.
            guard transport.isEncrypted else {
                throw MailError.tlsRequired.with(
                    "the server \(self.settings.host) offers no STARTTLS; refusing to send the SMTP password in clear text"
                )
            }
            try await self.authenticate(credentials, capabilities: capabilities, over: transport)
        }
        try await transport.send("MAIL FROM:<\(self.settings.from.address)>")
        try await self.expect(250, from: transport, step: "MAIL FROM")
        try await transport.send("RCPT TO:<\(recipient)>")
        try await self.expect(250, 251, from: transport, step: "RCPT TO")
        try await transport.send("DATA")
        try await self.expect(354, from: transport, step: "DATA")
        try await transport.sendData(DataTransfer.payload(message))
        try await self.expect(250, from: transport, step: "end of data")
        // The message is the server's now; a failed goodbye changes nothing for the caller.
        try? await transport.send("QUIT")
        _ = try? await transport.reply()
    }

    /// EHLO and the extensions it announces.
    func ehlo(_ transport: SMTPTransport) async throws -> SMTPCapabilities {
        try await transport.send("EHLO \(self.settings.heloName)")
        return try await self.expect(250, from: transport, step: "EHLO").capabilities
    }

    /// AUTH PLAIN (RFC 4616) with the credentials as its initial response; the log shows the command without them.
    func authenticate(_ credentials: SMTPSettings.Credentials, capabilities: SMTPCapabilities, over transport: SMTPTransport) async throws {
        let mechanisms = capabilities.authMechanisms
        guard mechanisms.contains("PLAIN") else {
            throw MailError.authenticationFailed.with(
                "the server offers AUTH \(mechanisms.isEmpty ? "nothing" : mechanisms.joined(separator: " ")), not PLAIN"
            )
        }
        let token = Base64.encode([0] + Array(credentials.user.utf8) + [0] + Array(credentials.password.utf8))
        try await transport.send("AUTH PLAIN \(token)", logAs: "AUTH PLAIN (credentials hidden)")
        let reply = try await transport.reply()
        guard reply.code == 235 else {
            throw MailError.authenticationFailed.with("AUTH PLAIN as \(credentials.user)", reply: reply)
        }
    }

    /// The next reply, which must carry one of `codes`; a different one is a rejection naming `step`.
    @discardableResult
    func expect(_ codes: Int..., from transport: SMTPTransport, step: String) async throws -> SMTPReply {
        let reply = try await transport.reply()
        guard codes.contains(reply.code) else {
            let kind = reply.isPositiveCompletion || reply.isPositiveIntermediate ? MailError.protocolError : MailError.rejected
            throw kind.with(step, reply: reply)
        }
        return reply
    }
}
