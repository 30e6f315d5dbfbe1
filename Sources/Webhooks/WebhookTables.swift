import Storage

/// Webhooks' tables: each account's signing secret, the outbox of deliveries and their attempts.
package enum WebhookTables {
    /// This target's migration steps (see `Migrations`: the app assembles every target's into one schema).
    package static let migrations: [MigrationStep] = [
        MigrationStep(version: 8) { _ in
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
        }
    ]
}
