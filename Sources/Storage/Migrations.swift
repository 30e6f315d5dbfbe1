import Essentials
import SQLKit

/// The schema, as an ordered list of steps. A step, once shipped, never changes; new needs get a new step.
package enum Migrations {
    /// One schema change, with the DDL for each dialect where they differ.
    struct Step: Sendable {
        let version: Int
        let statements: @Sendable (SQLDialectKind) -> [String]
    }

    static let steps: [Step] = [
        Step(version: 1) { dialect in
            let ledgerKey =
                switch dialect {
                case .sqlite: "seq INTEGER PRIMARY KEY AUTOINCREMENT"
                case .postgres: "seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
                }
            return [
                """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    balance_micros BIGINT NOT NULL CHECK (balance_micros >= 0),
                    held_micros BIGINT NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
                    created_at BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE api_keys (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    prefix TEXT NOT NULL,
                    secret_hash TEXT NOT NULL UNIQUE,
                    label TEXT NOT NULL DEFAULT '',
                    created_at BIGINT NOT NULL,
                    last_used_at BIGINT,
                    revoked_at BIGINT
                )
                """,
                "CREATE INDEX api_keys_prefix ON api_keys (prefix)",
                """
                CREATE TABLE generations (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    api_key_id TEXT,
                    model TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    status TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    request_json TEXT NOT NULL,
                    num_images INTEGER NOT NULL,
                    seed BIGINT NOT NULL,
                    price_micros BIGINT NOT NULL,
                    upstream_cost_micros BIGINT NOT NULL DEFAULT 0,
                    hold_micros BIGINT NOT NULL,
                    charged_micros BIGINT NOT NULL DEFAULT 0,
                    refunded_micros BIGINT NOT NULL DEFAULT 0,
                    images_json TEXT NOT NULL DEFAULT '[]',
                    error_code TEXT,
                    error_message TEXT,
                    upstream_request_id TEXT,
                    upstream_error_json TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    lease_until BIGINT,
                    created_at BIGINT NOT NULL,
                    started_at BIGINT,
                    completed_at BIGINT,
                    expires_at BIGINT
                )
                """,
                "CREATE INDEX generations_account ON generations (account_id, id)",
                "CREATE INDEX generations_status ON generations (status)",
                """
                CREATE TABLE ledger (
                    \(ledgerKey),
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    generation_id TEXT,
                    kind TEXT NOT NULL,
                    amount_micros BIGINT NOT NULL CHECK (amount_micros >= 0),
                    balance_after BIGINT NOT NULL,
                    held_after BIGINT NOT NULL,
                    note TEXT NOT NULL DEFAULT '',
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX ledger_account ON ledger (account_id, seq)",
                "CREATE INDEX ledger_generation ON ledger (generation_id)",
                """
                CREATE TABLE outputs (
                    id TEXT PRIMARY KEY,
                    generation_id TEXT NOT NULL REFERENCES generations(id),
                    image_index INTEGER NOT NULL,
                    blob_key TEXT NOT NULL,
                    content_type TEXT NOT NULL,
                    width INTEGER NOT NULL,
                    height INTEGER NOT NULL,
                    byte_count BIGINT NOT NULL,
                    etag TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT NOT NULL,
                    deleted_at BIGINT
                )
                """,
                "CREATE INDEX outputs_expiry ON outputs (expires_at)",
                """
                CREATE TABLE settings (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                )
                """,
            ]
        },
        Step(version: 2) { _ in
            // What a provider needs to find its upstream request again after a restart (fal: the queue URLs).
            ["ALTER TABLE generations ADD COLUMN upstream_handle TEXT"]
        },
        Step(version: 3) { _ in
            [
                // One row per (account, Idempotency-Key): the unique key is what makes a concurrent retry find the
                // first request's generation instead of creating a second one.
                """
                CREATE TABLE idempotency_keys (
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    idempotency_key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    generation_id TEXT NOT NULL,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (account_id, idempotency_key)
                )
                """,
                // Per-key protections: USD per UTC day and generations running at once (NULL = no limit).
                "ALTER TABLE api_keys ADD COLUMN daily_limit_micros BIGINT",
                "ALTER TABLE api_keys ADD COLUMN max_concurrency INTEGER",
                "CREATE INDEX generations_key_status ON generations (api_key_id, status)",
                "CREATE INDEX generations_key_created ON generations (api_key_id, created_at)",
            ]
        },
        Step(version: 4) { _ in
            [
                // Which run holds the lease: only it may renew it, save an upstream handle or settle.
                "ALTER TABLE generations ADD COLUMN lease_owner TEXT",
                // When a submit to the upstream started. Set with no handle saved, the submit may have reached the
                // upstream: the generation is never submitted again.
                "ALTER TABLE generations ADD COLUMN upstream_submit_at BIGINT",
            ]
        },
        Step(version: 5) { _ in
            [
                // Top-ups' Idempotency-Keys, apart from the customers' generation keys: an operator's key can never
                // collide with (or replay) a customer's.
                """
                CREATE TABLE credit_requests (
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    idempotency_key TEXT NOT NULL,
                    request_hash TEXT NOT NULL,
                    ledger_seq BIGINT,
                    created_at BIGINT NOT NULL,
                    PRIMARY KEY (account_id, idempotency_key)
                )
                """
            ]
        },
        Step(version: 6) { _ in
            [
                // Per-key rate limits (NULL: the server's default; 0: none) and their token buckets, in the books'
                // database so that every replica spends from the same bucket.
                "ALTER TABLE api_keys ADD COLUMN requests_per_minute INTEGER",
                "ALTER TABLE api_keys ADD COLUMN images_per_minute INTEGER",
                """
                CREATE TABLE rate_buckets (
                    api_key_id TEXT NOT NULL REFERENCES api_keys(id),
                    kind TEXT NOT NULL,
                    level BIGINT NOT NULL,
                    updated_at BIGINT NOT NULL,
                    PRIMARY KEY (api_key_id, kind)
                )
                """,
            ]
        },
        Step(version: 7) { _ in
            // When the owner asked to cancel a running generation: its run (on whichever replica) sees it, cancels
            // upstream and settles what actually came back.
            ["ALTER TABLE generations ADD COLUMN cancel_requested_at BIGINT"]
        },
        Step(version: 8) { _ in
            [
                // Each account's webhook signing secret; after a rotation the previous one keeps being used to sign
                // (beside the new one) until `previous_until`. Kept as is: an HMAC key cannot be stored hashed.
                """
                CREATE TABLE webhook_secrets (
                    account_id TEXT PRIMARY KEY REFERENCES accounts(id),
                    secret TEXT NOT NULL,
                    previous_secret TEXT,
                    previous_until BIGINT,
                    created_at BIGINT NOT NULL
                )
                """,
                // The outbox: one row per ended generation that asked for a webhook, written in the transaction that
                // settles it, so no crash can lose the event. A sender claims a due row under a lease.
                """
                CREATE TABLE webhook_deliveries (
                    id TEXT PRIMARY KEY,
                    generation_id TEXT NOT NULL UNIQUE REFERENCES generations(id),
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    event TEXT NOT NULL,
                    url TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at BIGINT,
                    lease_owner TEXT,
                    lease_until BIGINT,
                    pending_since BIGINT NOT NULL,
                    delivered_at BIGINT,
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
                """
                CREATE TABLE webhook_attempts (
                    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id),
                    attempt INTEGER NOT NULL,
                    at BIGINT NOT NULL,
                    status_code INTEGER,
                    error TEXT,
                    duration_ms BIGINT NOT NULL,
                    PRIMARY KEY (delivery_id, attempt)
                )
                """,
            ]
        },
        Step(version: 9) { _ in
            // Where a running generation waits in the upstream's queue (progress only; NULL when unknown or running).
            ["ALTER TABLE generations ADD COLUMN upstream_queue_position INTEGER"]
        },
        Step(version: 10) { _ in
            // Runs whose settlement failed: each waits longer before the next, and after a few the generation is
            // failed and refunded instead of resumed against its upstream forever.
            ["ALTER TABLE generations ADD COLUMN settle_failures INTEGER NOT NULL DEFAULT 0"]
        },
    ]

    /// The newest schema this version of ImageGate knows.
    package static var latestVersion: Int { Self.steps.map(\.version).max() ?? 0 }

    /// Brings the schema up to date; safe to run on every start, and from several replicas at once (on PostgreSQL an
    /// advisory lock makes them take turns: the first migrates, the others find nothing left to do). A database
    /// migrated by a newer ImageGate is refused rather than written with rules it does not know.
    package static func run(on database: any Database) async throws {
        let dialect = database.dialect
        try await database.transaction { sql in
            if dialect == .postgres {
                // Held until this transaction ends; the key is an arbitrary constant of ImageGate's.
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
            }
            try await sql.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)").run()
            let rows = try await sql.raw("SELECT version FROM schema_migrations").all()
            let applied = Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
            if let newest = applied.max(), newest > Self.latestVersion {
                throw SchemaTooNewError(found: newest, known: Self.latestVersion)
            }
            for step in Self.steps where !applied.contains(step.version) {
                for statement in step.statements(dialect) {
                    try await sql.raw(SQLQueryString(statement)).run()
                }
                try await sql.raw(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: step.version), \(bind: Timestamp.nowMillis()))"
                ).run()
            }
        }
    }
}

extension Migrations {
    /// The advisory lock key that serializes migrations across replicas ("IMGGATE" in ASCII).
    static let advisoryLockKey: Int64 = 0x494D_4747_4154_45
}

/// The database was migrated by a newer ImageGate: this one must not run on it.
package struct SchemaTooNewError: Error, CustomStringConvertible {
    package let found: Int
    package let known: Int
    package var description: String {
        "the database schema is at version \(self.found), newer than this ImageGate knows (\(self.known)): upgrade ImageGate"
    }
}
