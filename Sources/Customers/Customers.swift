import Billing
import Essentials
import Foundation
import Logging
import Mail
import SQLKit
import Storage

/// Self-service accounts: sign-up with a verified email, sign-in to a session stored in the database (so every
/// replica knows it), password reset by a mailed link, and the operator's invites. Every front door (the pages'
/// forms, the operator's API and commands) calls these use cases.
package struct Customers: Sendable {
    let database: any Database
    let passwords: Passwords
    package let settings: CustomerSettings
    /// Hands mails to the SMTP server; nil when the server has no mail settings (then nobody can sign up).
    let mailer: (any MailSender)?
    let logger: Logger

    package init(database: any Database, settings: CustomerSettings, passwords: Passwords = Passwords(), mailer: (any MailSender)?, logger: Logger) {
        self.database = database
        self.settings = settings
        self.passwords = passwords
        self.mailer = mailer
        self.logger = logger
    }

    /// Whether the sign-up page takes new people: a mode other than `closed`, and a way to mail them their link.
    package var signupAvailable: Bool { self.settings.signup != .closed && self.mailer != nil }

    /// A new user with their own (empty) account, signed in at once; the verification link is mailed. `address` is
    /// the client's, for the per-address limit.
    package func signUp(email rawEmail: String, password: String, invite: String?, address: String) async throws -> SignedIn {
        guard self.signupAvailable else {
            throw CustomerError(.signupClosed, "This server does not take sign-ups. Ask its operator for an account.")
        }
        guard let email = EmailAddress(rawEmail) else {
            throw CustomerError(.invalid, field: "email", "Enter an email address like name@example.com.")
        }
        try Passwords.check(password)
        let code = invite?.trimmingCharacters(in: .whitespaces) ?? ""
        if self.settings.signup == .invite, code.isEmpty {
            throw CustomerError(.badInvite, field: "invite", "Sign-up on this server needs an invite code from its operator.")
        }
        try await self.count(.signUpPerAddress, address)
        try await self.count(.signUpPerEmail, email.key)
        let hash = try await self.passwords.hash(password)
        let userID = Identifier.make("user")
        let accountID = Identifier.make("acct")
        let now = Timestamp.nowMillis()
        let token = try await self.database.transaction { sql in
            if try await sql.raw("SELECT id FROM users WHERE email_key = \(bind: email.key)").first() != nil {
                throw CustomerError(.emailTaken, field: "email", "This email already has an account: sign in, or reset its password.")
            }
            try await AccountStore.insert(id: accountID, name: Self.accountName(for: email), now: now, on: sql)
            try await sql.raw(
                """
                INSERT INTO users (id, email, email_key, password_hash, account_id, created_at)
                VALUES (\(bind: userID), \(bind: email.text), \(bind: email.key), \(bind: hash), \(bind: accountID), \(bind: now))
                """
            ).run()
            if self.settings.signup == .invite {
                try await Self.spendInvite(code, userID: userID, now: now, on: sql)
            }
            return try await EmailTokens.issue(.verify, userID: userID, lifetimeSeconds: self.settings.verificationSeconds, on: sql)
        }
        // The account exists whatever the mail server says: a failed mail can be sent again from the account page.
        try? await self.mailVerification(to: email.text, token: token)
        return try await self.startSession(userID: userID, replacing: nil)
    }

    /// Follows a verification link: the email is verified (once), and the starting credit, if any, is added.
    package func verify(token: String) async throws {
        try await self.database.transaction { sql in
            let userID = try await EmailTokens.consume(token, .verify, on: sql)
            try await self.markVerified(userID: userID, on: sql)
        }
    }

    /// Mails a new verification link to a signed-in user whose email is not verified yet.
    package func resendVerification(_ viewer: Viewer) async throws {
        guard !viewer.verified else { return }
        try await self.count(.mailsPerEmail, viewer.email.lowercased())
        let token = try await self.database.transaction { sql in
            try await EmailTokens.issue(.verify, userID: viewer.userID, lifetimeSeconds: self.settings.verificationSeconds, on: sql)
        }
        try await self.mailVerification(to: viewer.email, token: token)
    }

    /// Sets `verified_at` the first time, and then (only then) adds the operator's starting credit.
    func markVerified(userID: String, on sql: any SQLDatabase) async throws {
        let verified = try await sql.raw(
            "UPDATE users SET verified_at = \(bind: Timestamp.nowMillis()) WHERE id = \(bind: userID) AND verified_at IS NULL RETURNING account_id"
        ).first()
        guard let verified, self.settings.startingCredit.micros > 0 else { return }
        let account = try verified.decode(column: "account_id", as: String.self)
        try await Ledger.credit(self.settings.startingCredit, account: account, note: "starting credit", on: sql)
    }

    func mailVerification(to email: String, token: String) async throws {
        let hours = Int(self.settings.verificationSeconds / 3600)
        try await self.send(.verification(to: email, link: self.link("/verify", token: token), hours: hours))
    }

    /// Sends a mail; a failure is logged (never the link) and thrown as `mailFailed`.
    func send(_ message: MailMessage) async throws {
        guard let mailer = self.mailer else {
            throw CustomerError(.mailFailed, "This server cannot send mail: its operator has not set --smtp-url.")
        }
        do {
            try await mailer.send(message)
        } catch {
            self.logger.error("mail not sent", metadata: ["subject": "\(message.subject)", "error": "\(error)"])
            throw CustomerError(.mailFailed, "The mail could not be sent just now. Try again in a few minutes.")
        }
    }

    /// `{public URL}{path}?token=…`: the one place a secret travels in a URL, because a mailed link can carry it no
    /// other way; it is single-use and expires, and the pages send no `Referer`.
    func link(_ path: String, token: String) -> String {
        var base = self.settings.publicURL
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)\(path)?token=\(token)"
    }

    /// Counts one attempt in its own transaction, so that a refused attempt still counts.
    func count(_ limit: AttemptLimit, _ subject: String) async throws {
        try await self.database.transaction { sql in try await limit.count(subject, now: Timestamp.nowMillis(), on: sql) }
    }

    /// An account name the operator can read: the email's local part, cleaned, and a random suffix (names are unique
    /// and appear in URL paths).
    static func accountName(for email: EmailAddress) -> String {
        let local = email.key.prefix { $0 != "@" }
        let cleaned = String(local.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "-" }.prefix(40))
        return "\(cleaned.isEmpty ? "user" : cleaned)-\(Hex.random(bytes: 3))"
    }
}
