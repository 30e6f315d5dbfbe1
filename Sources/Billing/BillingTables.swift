import Storage

/// Billing's tables: accounts, API keys, the ledger, top-ups' idempotency keys, rate-limit buckets.
package enum BillingTables {
    /// This target's migration steps (see `Migrations`: the app assembles every target's into one schema).
    package static let migrations: [MigrationStep] = [
        MigrationStep(version: 1) { dialect in
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
            ]
        },
        MigrationStep(version: 3) { _ in
            [
                // Per-key protections: USD per UTC day and generations running at once (NULL = no limit).
                "ALTER TABLE api_keys ADD COLUMN daily_limit_micros BIGINT",
                "ALTER TABLE api_keys ADD COLUMN max_concurrency INTEGER",
            ]
        },
        MigrationStep(version: 5) { _ in
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
        MigrationStep(version: 6) { _ in
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
        MigrationStep(version: 13) { _ in
            // An account the operator disabled: its keys answer 403 until it is enabled again; its money is kept.
            ["ALTER TABLE accounts ADD COLUMN disabled_at BIGINT"]
        },
    ]
}
