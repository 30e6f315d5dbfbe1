import Billing
import Essentials
import SQLKit
import Storage

/// A session just started: the cookie's value (shown to the browser once, stored only as a digest) and its end.
package struct SignedIn: Sendable {
    package let token: String
    package let expiresAt: Int64
    package let userID: String

    package init(token: String, expiresAt: Int64, userID: String) {
        self.token = token
        self.expiresAt = expiresAt
        self.userID = userID
    }
}

extension Customers {
    /// Signs in with email and password. An unknown email and a wrong password get the same answer after the same
    /// work; both are limited per email and per client address. A new session is made every time (and the one the
    /// browser had, `replacing`, is ended), so a cookie planted before sign-in is worth nothing after it.
    package func signIn(email rawEmail: String, password: String, address: String, replacing old: String?) async throws -> SignedIn {
        let email = EmailAddress(rawEmail)
        try await self.count(.signInPerAddress, address)
        try await self.count(.signInPerEmail, email?.key ?? rawEmail.lowercased())
        let user = try await email.asyncFlatMap { email in
            try await self.database.read { sql in
                try await sql.raw(
                    "SELECT u.id, u.password_hash, a.disabled_at FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.email_key = \(bind: email.key)"
                ).first()
            }
        }
        guard let user else {
            try await self.passwords.spendOneVerification(password)
            throw CustomerError.badCredentials
        }
        guard try await self.passwords.verify(password, hash: try user.decode(column: "password_hash", as: String.self)) else {
            throw CustomerError.badCredentials
        }
        guard try user.decode(column: "disabled_at", as: Int64?.self) == nil else {
            throw CustomerError(.disabled, "This account is disabled by the server's operator; its balance is kept. Contact the operator.")
        }
        if let email {
            try await self.database.transaction { sql in try await AttemptLimit.signInPerEmail.clear(email.key, on: sql) }
        }
        return try await self.startSession(userID: try user.decode(column: "id", as: String.self), replacing: old)
    }

    /// Records a new session (ending `replacing`, the browser's previous one).
    func startSession(userID: String, replacing old: String?) async throws -> SignedIn {
        let token = SecretToken.make()
        let now = Timestamp.nowMillis()
        let expires = now + self.settings.sessionSeconds * 1000
        try await self.database.transaction { sql in
            if let old {
                try await sql.raw("DELETE FROM sessions WHERE token_hash = \(bind: SecretToken.digest(old))").run()
            }
            // The person's expired sessions go at their next sign-in, so the table holds live sessions and a few more.
            try await sql.raw("DELETE FROM sessions WHERE user_id = \(bind: userID) AND expires_at <= \(bind: now)").run()
            try await sql.raw(
                """
                INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
                VALUES (\(bind: SecretToken.digest(token)), \(bind: userID), \(bind: now), \(bind: expires))
                """
            ).run()
        }
        return SignedIn(token: token, expiresAt: expires, userID: userID)
    }

    /// The person behind a session cookie; nil for an unknown, ended or expired one.
    package func viewer(session token: String) async throws -> Viewer? {
        try await self.database.read { sql in
            let row = try await sql.raw(
                """
                SELECT u.id, u.email, u.account_id, u.verified_at, a.disabled_at
                FROM sessions s JOIN users u ON u.id = s.user_id JOIN accounts a ON a.id = u.account_id
                WHERE s.token_hash = \(bind: SecretToken.digest(token)) AND s.expires_at > \(bind: Timestamp.nowMillis())
                """
            ).first()
            return try row.map {
                Viewer(
                    userID: try $0.decode(column: "id", as: String.self),
                    email: try $0.decode(column: "email", as: String.self),
                    accountID: try $0.decode(column: "account_id", as: String.self),
                    verified: try $0.decode(column: "verified_at", as: Int64?.self) != nil,
                    accountDisabled: try $0.decode(column: "disabled_at", as: Int64?.self) != nil
                )
            }
        }
    }

    /// Ends the session (sign-out); an unknown one is already ended.
    package func signOut(session token: String) async throws {
        try await self.database.transaction { sql in
            try await sql.raw("DELETE FROM sessions WHERE token_hash = \(bind: SecretToken.digest(token))").run()
        }
    }
}

extension Optional where Wrapped: Sendable {
    /// `flatMap` for an async transform.
    fileprivate func asyncFlatMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
