import Foundation

/// Where and how mail leaves: the `--smtp-url` (`smtp://[user:password@]host[:port]`, or `smtps://` for TLS from the
/// first byte), the `--mail-from` sender and the `--smtp-ca-file` of extra trust roots.
///
/// The password lives only here and in the AUTH command; `description` hides it, so the settings can be logged.
package struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is protected.
    package enum Security: Sendable, Equatable {
        /// `smtp://`: plain at first, upgraded with STARTTLS whenever the server offers it.
        case startTLSWhenOffered
        /// `smtps://`: TLS from the first byte (port 465).
        case implicitTLS
    }

    package let host: String
    package let port: Int
    package let security: Security
    /// User name and password for AUTH PLAIN; nil: no authentication.
    package let credentials: Credentials?
    /// The sender, in `From:` and (its address) in `MAIL FROM`.
    package let from: MailAddress
    /// A PEM file of trust roots added to the system's (a test server's self-signed certificate, a private CA).
    package let trustRootsFile: String?
    /// The name this client gives in EHLO: the sender's domain, which is what receiving servers see mail from.
    package var heloName: String
    /// How long reaching the server may take.
    package var connectTimeout: Duration = .seconds(10)
    /// How long one whole delivery may take, connecting included; a stalled server cannot hold a caller longer.
    package var overallTimeout: Duration = .seconds(60)

    /// A user name and password, kept apart so that nothing prints the password by accident.
    package struct Credentials: Sendable, Equatable {
        package let user: String
        package let password: String
    }

    /// Parses the URL and the sender; throws ``MailError/invalidSettings`` (whose detail never repeats the URL, which may
    /// hold a password) or ``MailError/invalidAddress``.
    package init(url: String, from: String, trustRootsFile: String? = nil) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
            throw MailError.invalidSettings.with("the SMTP URL is not a URL; write smtp://[user:password@]host[:port]")
        }
        switch scheme {
        case "smtp": self.security = .startTLSWhenOffered
        case "smtps": self.security = .implicitTLS
        default: throw MailError.invalidSettings.with("the SMTP URL's scheme is '\(scheme)'; use smtp:// or smtps://")
        }
        guard let host = components.host, !host.isEmpty else { throw MailError.invalidSettings.with("the SMTP URL names no host") }
        guard components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil else {
            throw MailError.invalidSettings.with("the SMTP URL has a path, query or fragment; write smtp://[user:password@]host[:port]")
        }
        if let port = components.port, !(1...65_535).contains(port) {
            throw MailError.invalidSettings.with("the SMTP URL's port \(port) is not 1 to 65535")
        }
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? (self.security == .implicitTLS ? 465 : 25)
        switch (components.user, components.password) {
        case (nil, nil): self.credentials = nil
        case (let user?, let password?) where !user.isEmpty:
            self.credentials = Credentials(user: user, password: password)
        default: throw MailError.invalidSettings.with("the SMTP URL has a user without a password, or a password without a user")
        }
        if let credentials = self.credentials, (credentials.user + credentials.password).contains("\0") {
            throw MailError.invalidSettings.with("the SMTP user or password holds a NUL character")
        }
        self.from = try MailAddress(parsing: from)
        self.trustRootsFile = trustRootsFile
        self.heloName = self.from.domain
    }

    /// The URL without its password, for logs and `mail-test`'s report.
    package var description: String {
        let scheme = self.security == .implicitTLS ? "smtps" : "smtp"
        let user = self.credentials.map { "\($0.user):(secret)@" } ?? ""
        let host = self.host.contains(":") ? "[\(self.host)]" : self.host
        return "\(scheme)://\(user)\(host):\(self.port)"
    }
}
