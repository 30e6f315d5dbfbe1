import Storage

/// Payments' tables: card top-up orders and the Stripe events already handled.
package enum PaymentTables {
    /// This target's migration steps (see `Migrations`: the app assembles every target's into one schema).
    package static let migrations: [MigrationStep] = [
        MigrationStep(version: 12) { _ in
            [
                // One row per "Add credit": made before Stripe hears of it, so every Checkout Session names an order
                // (`client_reference_id`), and credited at most once (`ledger_seq` is set with the `topup` row, in
                // one transaction; the audit checks each `topup` row against its order).
                """
                CREATE TABLE payment_orders (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id),
                    amount_micros BIGINT NOT NULL CHECK (amount_micros > 0),
                    amount_cents BIGINT NOT NULL,
                    currency TEXT NOT NULL,
                    status TEXT NOT NULL,
                    checkout_session_id TEXT UNIQUE,
                    checkout_url TEXT,
                    payment_reference TEXT,
                    ledger_seq BIGINT UNIQUE,
                    taken_back_micros BIGINT NOT NULL DEFAULT 0,
                    flag TEXT,
                    created_at BIGINT NOT NULL,
                    paid_at BIGINT
                )
                """,
                "CREATE INDEX payment_orders_account ON payment_orders (account_id, created_at)",
                "CREATE INDEX payment_orders_payment ON payment_orders (payment_reference)",
                // Stripe delivers an event more than once: its id is kept with the changes it made, in their transaction.
                "CREATE TABLE stripe_events (id TEXT PRIMARY KEY, type TEXT NOT NULL, received_at BIGINT NOT NULL)",
            ]
        }
    ]
}
