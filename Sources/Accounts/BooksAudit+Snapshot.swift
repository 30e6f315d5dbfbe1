import Billing
import Generation
import SQLKit
import Storage

extension BooksAudit {
    /// One account's stored balances.
    struct Account {
        let id: String
        let available: Int64
        let held: Int64
    }

    /// One generation's columns that the books depend on.
    struct Generation {
        let id: String
        let accountID: String
        let status: String
        let numImages: Int64
        let price: Int64
        let hold: Int64
        let charged: Int64
        let refunded: Int64
        let upstreamCost: Int64
        let outputs: Int64
        let createdAt: Int64
        let request: StoredRequest
        /// The types of its webhook events in the outbox.
        var events: [String] = []
        /// Its attempts on routes (none for generations from before routes were recorded, or never run).
        var attempts = Attempts()

        var finalStatus: GenerationStatus? { GenerationStatus(rawValue: self.status).flatMap { $0.isFinal ? $0 : nil } }
    }

    /// A generation's attempts, summed: how many, how many still open, what they bill, what the ones that failed
    /// over bill (nothing, by the failover rule), and what the ones resent after an unknown outcome may bill.
    struct Attempts {
        var count: Int64 = 0
        var open: Int64 = 0
        var cost: Int64 = 0
        var failedOverCost: Int64 = 0
        /// What the attempts resent after an unknown outcome may bill (routes that opted in): a loss on top of
        /// what the generation's last route bills.
        var resentCost: Int64 = 0
    }

    /// A card top-up order with a credit (or that says it is paid).
    struct PaidOrder {
        let id: String
        let accountID: String
        let amount: Int64
        let status: String
        let ledgerSeq: Int64?
    }

    /// An `Idempotency-Key` row: the generation the key names.
    struct KeyClaim {
        let accountID: String
        let key: String
        let generationID: String
    }

    /// A top-up's key: what it asked for and the credit it made (nil in rows written before the link was kept).
    struct CreditRequest {
        let accountID: String
        let key: String
        let requestHash: String
        let ledgerSeq: Int64?
        let createdAt: Int64
    }

    /// An output that is still served, and so must have its blob.
    struct Output {
        let id: String
        let generationID: String
        let blobKey: String
    }

    /// Everything the audit reads, from one snapshot: the checks then work on these values only.
    struct Snapshot {
        var accounts: [Account] = []
        /// By id, and in id order for reports that read the same every time.
        var generations: [String: Generation] = [:]
        var generationIDs: [String] = []
        var ledger: [Ledger.StoredRow] = []
        var keyClaims: [KeyClaim] = []
        var creditRequests: [CreditRequest] = []
        /// Card top-up orders that were paid (or credited by mistake): their ledger row and amount.
        var paidOrders: [PaidOrder] = []
        /// Only when the blobs are checked.
        var servedOutputs: [Output] = []

        static func read(on sql: any SQLDatabase, outputsServedAfter now: Int64?) async throws -> Snapshot {
            var snapshot = Snapshot()
            snapshot.accounts = try await sql.raw("SELECT id, balance_micros, held_micros FROM accounts ORDER BY id").all().map {
                Account(
                    id: try $0.decode(column: "id", as: String.self),
                    available: try $0.decode(column: "balance_micros", as: Int64.self),
                    held: try $0.decode(column: "held_micros", as: Int64.self)
                )
            }
            for row in try await sql.raw(
                """
                SELECT g.id, g.account_id, g.status, g.num_images, g.price_micros, g.hold_micros, g.charged_micros,
                    g.refunded_micros, g.upstream_cost_micros, g.created_at, g.request_json,
                    (SELECT COUNT(*) FROM outputs o WHERE o.generation_id = g.id) AS outputs
                FROM generations g ORDER BY g.id
                """
            ).all() {
                let generation = Generation(
                    id: try row.decode(column: "id", as: String.self),
                    accountID: try row.decode(column: "account_id", as: String.self),
                    status: try row.decode(column: "status", as: String.self),
                    numImages: try row.decode(column: "num_images", as: Int64.self),
                    price: try row.decode(column: "price_micros", as: Int64.self),
                    hold: try row.decode(column: "hold_micros", as: Int64.self),
                    charged: try row.decode(column: "charged_micros", as: Int64.self),
                    refunded: try row.decode(column: "refunded_micros", as: Int64.self),
                    upstreamCost: try row.decode(column: "upstream_cost_micros", as: Int64.self),
                    outputs: try row.decode(column: "outputs", as: Int64.self),
                    createdAt: try row.decode(column: "created_at", as: Int64.self),
                    request: try GenerationStore.decode(StoredRequest.self, try row.decode(column: "request_json", as: String.self))
                )
                snapshot.generations[generation.id] = generation
                snapshot.generationIDs.append(generation.id)
            }
            for row in try await sql.raw(
                """
                SELECT generation_id, COUNT(*) AS n, SUM(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END) AS open,
                    CAST(SUM(upstream_cost_micros) AS BIGINT) AS cost,
                    CAST(SUM(CASE WHEN outcome IN ('not_started', 'route_unusable', 'supplier_failed') THEN upstream_cost_micros ELSE 0 END)
                        AS BIGINT) AS failed_over,
                    CAST(SUM(CASE WHEN outcome = 'outcome_unknown' THEN upstream_cost_micros ELSE 0 END) AS BIGINT) AS resent
                FROM generation_attempts GROUP BY generation_id
                """
            ).all() {
                let id = try row.decode(column: "generation_id", as: String.self)
                snapshot.generations[id]?.attempts = Attempts(
                    count: try row.decode(column: "n", as: Int64.self),
                    open: try row.decode(column: "open", as: Int64.self),
                    cost: try row.decode(column: "cost", as: Int64.self),
                    failedOverCost: try row.decode(column: "failed_over", as: Int64.self),
                    resentCost: try row.decode(column: "resent", as: Int64.self)
                )
            }
            for row in try await sql.raw("SELECT generation_id, event FROM webhook_deliveries ORDER BY id").all() {
                let id = try row.decode(column: "generation_id", as: String.self)
                snapshot.generations[id]?.events.append(try row.decode(column: "event", as: String.self))
            }
            snapshot.ledger = try await Ledger.everyRow(on: sql)
            snapshot.keyClaims = try await sql.raw(
                "SELECT account_id, idempotency_key, generation_id FROM idempotency_keys ORDER BY account_id, idempotency_key"
            ).all().map {
                KeyClaim(
                    accountID: try $0.decode(column: "account_id", as: String.self),
                    key: try $0.decode(column: "idempotency_key", as: String.self),
                    generationID: try $0.decode(column: "generation_id", as: String.self)
                )
            }
            snapshot.paidOrders = try await sql.raw(
                "SELECT id, account_id, amount_micros, status, ledger_seq FROM payment_orders WHERE ledger_seq IS NOT NULL OR status = 'paid' ORDER BY id"
            ).all().map {
                PaidOrder(
                    id: try $0.decode(column: "id", as: String.self),
                    accountID: try $0.decode(column: "account_id", as: String.self),
                    amount: try $0.decode(column: "amount_micros", as: Int64.self),
                    status: try $0.decode(column: "status", as: String.self),
                    ledgerSeq: try $0.decode(column: "ledger_seq", as: Int64?.self)
                )
            }
            snapshot.creditRequests = try await sql.raw(
                "SELECT account_id, idempotency_key, request_hash, ledger_seq, created_at FROM credit_requests ORDER BY account_id, idempotency_key"
            ).all().map {
                CreditRequest(
                    accountID: try $0.decode(column: "account_id", as: String.self),
                    key: try $0.decode(column: "idempotency_key", as: String.self),
                    requestHash: try $0.decode(column: "request_hash", as: String.self),
                    ledgerSeq: try $0.decode(column: "ledger_seq", as: Int64?.self),
                    createdAt: try $0.decode(column: "created_at", as: Int64.self)
                )
            }
            if let now {
                // Past its expiry an output may be mid-deletion by the janitor (blob first, row after): not served,
                // not checked.
                snapshot.servedOutputs = try await sql.raw(
                    "SELECT id, generation_id, blob_key FROM outputs WHERE deleted_at IS NULL AND expires_at > \(bind: now) ORDER BY id"
                ).all().map {
                    Output(
                        id: try $0.decode(column: "id", as: String.self),
                        generationID: try $0.decode(column: "generation_id", as: String.self),
                        blobKey: try $0.decode(column: "blob_key", as: String.self)
                    )
                }
            }
            return snapshot
        }
    }
}
