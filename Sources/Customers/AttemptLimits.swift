import SQLKit
import Storage

/// Limits on sign-in and sign-up attempts per subject (an email, a client address) in a fixed window, counted in
/// the books' database so that every replica counts the same attempts.
package struct AttemptLimit: Sendable {
    /// What is counted, e.g. "signin-email".
    let name: String
    let attempts: Int
    let windowMillis: Int64

    /// Ten guesses at one email's password per 15 minutes, whoever makes them.
    package static let signInPerEmail = AttemptLimit(name: "signin-email", attempts: 10, windowMillis: 15 * 60_000)
    /// Thirty sign-ins per 15 minutes from one address (a guesser trying many emails).
    package static let signInPerAddress = AttemptLimit(name: "signin-ip", attempts: 30, windowMillis: 15 * 60_000)
    /// Ten sign-ups per hour from one address.
    package static let signUpPerAddress = AttemptLimit(name: "signup-ip", attempts: 10, windowMillis: 60 * 60_000)
    /// Five sign-up attempts per hour for one email, from wherever they come (each one that succeeds mails it).
    package static let signUpPerEmail = AttemptLimit(name: "signup-email", attempts: 5, windowMillis: 60 * 60_000)
    /// Five mails (verification, reset) per hour to one email, so the form cannot be used to flood a mailbox.
    package static let mailsPerEmail = AttemptLimit(name: "mail-email", attempts: 5, windowMillis: 60 * 60_000)

    /// How long a subject's count is kept after its window opened: longer than every window, so that nothing still
    /// counting is forgotten; older rows are deleted as attempts come (the index makes that cost what it deletes).
    static let keptMillis: Int64 = 24 * 3_600_000

    /// Counts one attempt for `subject`, or throws `tooMany` (and counts nothing more) when the window is full.
    func count(_ subject: String, now: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM auth_attempts WHERE window_start < \(bind: now - Self.keptMillis)").run()
        let key = "\(self.name):\(subject)"
        let fresh = now - self.windowMillis
        // One statement: a new window starts at 1, an open one grows by one; concurrent attempts each add theirs.
        let row = try await sql.raw(
            """
            INSERT INTO auth_attempts (subject, attempts, window_start) VALUES (\(bind: key), 1, \(bind: now))
            ON CONFLICT (subject) DO UPDATE SET
                attempts = CASE WHEN auth_attempts.window_start <= \(bind: fresh) THEN 1 ELSE auth_attempts.attempts + 1 END,
                window_start = CASE WHEN auth_attempts.window_start <= \(bind: fresh) THEN \(bind: now) ELSE auth_attempts.window_start END
            RETURNING attempts, window_start
            """
        ).first()
        guard let row else { return }
        let attempts = try row.decode(column: "attempts", as: Int.self)
        let start = try row.decode(column: "window_start", as: Int64.self)
        if attempts > self.attempts {
            let wait = Int((start + self.windowMillis - now + 999) / 1000)
            throw CustomerError(.tooMany, "Too many attempts. Try again in \(max(wait, 1) / 60 + 1) minutes.", retryAfter: max(wait, 1))
        }
    }

    /// Forgets the subject's attempts (a successful sign-in clears its email's count).
    func clear(_ subject: String, on sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM auth_attempts WHERE subject = \(bind: "\(self.name):\(subject)")").run()
    }
}
