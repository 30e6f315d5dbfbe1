import Storage

/// Generation's tables: generations (the shared job queue), their outputs, and the generations' idempotency keys.
package enum GenerationTables {
    /// This target's migration steps (see `Migrations`: the app assembles every target's into one schema).
    package static let migrations: [MigrationStep] = [
        MigrationStep(version: 1) { _ in
            [
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
            ]
        },
        MigrationStep(version: 2) { _ in
            // What a provider needs to find its upstream request again after a restart (fal: the queue URLs).
            ["ALTER TABLE generations ADD COLUMN upstream_handle TEXT"]
        },
        MigrationStep(version: 3) { _ in
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
                "CREATE INDEX generations_key_status ON generations (api_key_id, status)",
                "CREATE INDEX generations_key_created ON generations (api_key_id, created_at)",
            ]
        },
        MigrationStep(version: 4) { _ in
            [
                // Which run holds the lease: only it may renew it, save an upstream handle or settle.
                "ALTER TABLE generations ADD COLUMN lease_owner TEXT",
                // When a submit to the upstream started. Set with no handle saved, the submit may have reached the
                // upstream: the generation is never submitted again.
                "ALTER TABLE generations ADD COLUMN upstream_submit_at BIGINT",
            ]
        },
        MigrationStep(version: 7) { _ in
            // When the owner asked to cancel a running generation: its run (on whichever replica) sees it, cancels
            // upstream and settles what actually came back.
            ["ALTER TABLE generations ADD COLUMN cancel_requested_at BIGINT"]
        },
        MigrationStep(version: 9) { _ in
            // Where a running generation waits in the upstream's queue (progress only; NULL when unknown or running).
            ["ALTER TABLE generations ADD COLUMN upstream_queue_position INTEGER"]
        },
        MigrationStep(version: 10) { _ in
            // Runs whose settlement failed: each waits longer before the next, and after a few the generation is
            // failed and refunded instead of resumed against its upstream forever.
            ["ALTER TABLE generations ADD COLUMN settle_failures INTEGER NOT NULL DEFAULT 0"]
        },
        MigrationStep(version: 11) { _ in
            [
                // Each attempt of a generation on one route: the books of failover. An attempt that failed over
                // provably started nothing billable, so its cost stays 0, except after an unknown outcome on a route
                // that opted in to resending (`resend_after_unknown`), whose attempt keeps its possible bill; the
                // last one carries the rest of the generation's upstream cost, set at settlement (`imagegate audit`
                // checks the sum).
                """
                CREATE TABLE generation_attempts (
                    generation_id TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    route TEXT NOT NULL,
                    provider TEXT NOT NULL,
                    upstream_request_id TEXT,
                    cost_per_image_micros BIGINT NOT NULL,
                    started_at BIGINT NOT NULL,
                    ended_at BIGINT,
                    outcome TEXT,
                    reason TEXT,
                    upstream_cost_micros BIGINT NOT NULL DEFAULT 0,
                    PRIMARY KEY (generation_id, attempt)
                )
                """,
                // The route of the latest attempt: a saved handle is that route's to follow after a restart.
                "ALTER TABLE generations ADD COLUMN route TEXT",
                // A model's last day, for its public page's success share and median time (`ModelHealth`).
                "CREATE INDEX generations_model_created ON generations (model, created_at)",
            ]
        },
        MigrationStep(version: 15) { dialect in
            // PostgreSQL: the shared queue in claim order, holding only the generations not yet ended (its predicate
            // is `GenerationStore.unfinished`). A claim reads the first live entry and stops, and that plain index
            // scan marks the entries of row versions an update left behind as dead; a bitmap scan of
            // `generations_status` visited each of them again on every claim until the next vacuum
            // (docs/benchmarks.md). SQLite updates rows in place: its status index holds live rows only.
            // `IF NOT EXISTS`: an operator with a large table builds it beforehand with `CREATE INDEX CONCURRENTLY`
            // (docs/deploy.md), since a plain build blocks writes to `generations` until it ends.
            guard dialect == .postgres else { return [] }
            return [
                "CREATE INDEX IF NOT EXISTS generations_unfinished ON generations (created_at, id) WHERE status IN ('queued', 'processing')"
            ]
        },
    ]
}
