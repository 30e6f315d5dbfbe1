import Storage

/// Customers' tables: people who sign in (each owns one account), their sessions, the single-use links mailed to
/// them, the operator's invite codes and the counters that limit guessing.
package enum CustomerTables {
    /// This target's migration steps (see `Migrations`: the app assembles every target's into one schema).
    package static let migrations: [MigrationStep] = [
        MigrationStep(version: 14) { _ in
            [
                // The email is kept as typed, and matched lower-cased (`email_key`), so one address is one person.
                """
                CREATE TABLE users (
                    id TEXT PRIMARY KEY,
                    email TEXT NOT NULL,
                    email_key TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    account_id TEXT NOT NULL UNIQUE REFERENCES accounts(id),
                    verified_at BIGINT,
                    created_at BIGINT NOT NULL
                )
                """,
                // A session is found by the SHA-256 of its cookie: the database never holds a usable cookie.
                """
                CREATE TABLE sessions (
                    token_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX sessions_user ON sessions (user_id)",
                // Links mailed for verification and password reset: stored hashed, used once (`used_at`), expiring.
                """
                CREATE TABLE email_tokens (
                    token_hash TEXT PRIMARY KEY,
                    user_id TEXT NOT NULL REFERENCES users(id),
                    purpose TEXT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_at BIGINT
                )
                """,
                "CREATE INDEX email_tokens_expiry ON email_tokens (expires_at)",
                // Invite codes of `--signup invite`: stored hashed; each is spent by one sign-up.
                """
                CREATE TABLE invites (
                    code_hash TEXT PRIMARY KEY,
                    prefix TEXT NOT NULL,
                    note TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    used_by TEXT REFERENCES users(id),
                    used_at BIGINT
                )
                """,
                // Attempts per subject ("signin-email:…", "signin-ip:…", "signup-ip:…") in a fixed window, shared by
                // every replica because they live in the books' database.
                """
                CREATE TABLE auth_attempts (
                    subject TEXT PRIMARY KEY,
                    attempts INTEGER NOT NULL,
                    window_start BIGINT NOT NULL
                )
                """,
                "CREATE INDEX auth_attempts_window ON auth_attempts (window_start)",
            ]
        }
    ]
}
