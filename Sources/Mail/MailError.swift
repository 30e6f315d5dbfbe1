/// Why a mail was not sent, or why mail settings cannot be used: a code to match on (`error == .rejected`, as
/// AsyncHTTPClient's `HTTPClientError`) and a detail for people, which carries the SMTP server's reply text when there
/// is one. Never holds a password: details name what failed, not the credentials.
package struct MailError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure it is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        package var description: String { self.name }
    }

    package let code: Code
    /// What happened, for an operator: the step and the server's reply (`RCPT TO: 550 5.1.1 no such user`).
    package let detail: String
    /// The server's reply code, when a reply was the failure.
    package let replyCode: Int?

    init(_ code: Code, _ detail: String = "", replyCode: Int? = nil) {
        self.code = code
        self.detail = detail
        self.replyCode = replyCode
    }

    /// The same kind of error, with what happened this time.
    func with(_ detail: String, reply: SMTPReply? = nil) -> MailError {
        guard let reply else { return MailError(self.code, detail) }
        return MailError(self.code, "\(detail): \(reply.code) \(reply.text)", replyCode: reply.code)
    }

    package var description: String {
        self.detail.isEmpty ? "mail error \(self.code)" : "mail error \(self.code): \(self.detail)"
    }

    /// The SMTP server could not be reached (refused, unknown host, connect timeout).
    package static let connectFailed = MailError(Code(name: "connect_failed"))
    /// The server answered a step with a failure reply (a 4xx or 5xx where a 2xx or 3xx was expected).
    package static let rejected = MailError(Code(name: "rejected"))
    /// The server refused the user name and password (AUTH's 535 and the like).
    package static let authenticationFailed = MailError(Code(name: "authentication_failed"))
    /// A password would have gone over a connection without TLS (the server offers no STARTTLS): refused before it is sent.
    package static let tlsRequired = MailError(Code(name: "tls_required"))
    /// The TLS handshake failed: an untrusted certificate, a wrong host name, or no common protocol.
    package static let tlsFailed = MailError(Code(name: "tls_failed"))
    /// A recipient or sender address that is not a plain `user@domain`, or holds CR/LF (header injection).
    package static let invalidAddress = MailError(Code(name: "invalid_address"))
    /// A header value (the subject) holding CR or LF, which would let a caller write headers of its own.
    package static let invalidHeader = MailError(Code(name: "invalid_header"))
    /// The SMTP URL or the trust-roots file cannot be used.
    package static let invalidSettings = MailError(Code(name: "invalid_settings"))
    /// The conversation took longer than the mailer allows.
    package static let timeout = MailError(Code(name: "timeout"))
    /// The server broke the protocol: a malformed reply, a closed connection mid-conversation, or data sent after
    /// its STARTTLS answer (which a man in the middle would inject to have it read as if it came over TLS).
    package static let protocolError = MailError(Code(name: "protocol_error"))
}

extension MailError: Equatable {
    /// Errors are equal when their codes are: `#expect(throws: MailError.rejected)` matches any rejection.
    package static func == (lhs: MailError, rhs: MailError) -> Bool { lhs.code == rhs.code }
}
