import Essentials
import Mail
import SQLKit
import Storage

extension Customers {
    /// Mails a password-reset link when the email has an account. The answer is the same either way (the page says
    /// "if it has an account, a mail is on its way"), so the form tells nobody which emails exist.
    package func requestReset(email rawEmail: String, address: String) async throws {
        guard let email = EmailAddress(rawEmail) else {
            throw CustomerError(.invalid, field: "email", "Enter an email address like name@example.com.")
        }
        try await self.count(.signInPerAddress, address)
        try await self.count(.mailsPerEmail, email.key)
        let found: (String, String)? = try await self.database.transaction { sql in
            guard let user = try await sql.raw("SELECT id, email FROM users WHERE email_key = \(bind: email.key)").first() else { return nil }
            let userID = try user.decode(column: "id", as: String.self)
            let token = try await EmailTokens.issue(.reset, userID: userID, lifetimeSeconds: self.settings.resetSeconds, on: sql)
            return (try user.decode(column: "email", as: String.self), token)
        }
        guard let (to, token) = found else { return }
        try await self.send(.reset(to: to, link: self.link("/reset/confirm", token: token), minutes: Int(self.settings.resetSeconds / 60)))
    }

    /// Sets a new password with a reset link: the link is spent, every session of the user ends, and the email counts
    /// as verified (the link reached its mailbox).
    package func resetPassword(token: String, password: String) async throws {
        try Passwords.check(password)
        let hash = try await self.passwords.hash(password)
        try await self.database.transaction { sql in
            let userID = try await EmailTokens.consume(token, .reset, on: sql)
            try await sql.raw("UPDATE users SET password_hash = \(bind: hash) WHERE id = \(bind: userID)").run()
            try await sql.raw("DELETE FROM sessions WHERE user_id = \(bind: userID)").run()
            try await self.markVerified(userID: userID, on: sql)
        }
    }
}
