import Billing

extension BooksAudit {
    /// The kind of mistake a finding is: what an operator looks for first, and what a script can count.
    package enum FindingClass: String, Sendable, Encodable, CaseIterable {
        /// A ledger row that cannot be read as money: unknown kind, negative amount, missing or foreign owner.
        case ledgerRow = "ledger_row"
        /// A balance the ledger's rows, replayed in order, do not give (or a negative one).
        case balance
        /// A hold that is not price × `num_images`, or an account's held amount that its unfinished generations do not hold.
        case hold
        /// An ended generation whose charges and returns do not settle its hold, or do not match its columns and
        /// delivered images; money settled for one that has not ended.
        case settlement
        /// A status its outputs contradict (completed without any, failed or cancelled with some).
        case statusOutputs = "status_outputs"
        /// A refund where a release belongs, or a release where a refund belongs.
        case returnKind = "return_kind"
        /// A ledger row of a kind that no generation moves (`credit`, `debit`) linked to a generation.
        case generationLedgerKind = "generation_ledger_kind"
        /// An `upstream_cost` that is not what the upstream bills for what it was asked.
        case upstreamCost = "upstream_cost"
        /// Attempts that do not add up to the generation's upstream cost, bill for a failover, or are open after its end.
        case attempts
        /// A charged output whose blob is not in the store (`--blobs`).
        case missingBlob = "missing_blob"
        /// A webhook event missing, in excess, or of a type other than the generation's end.
        case webhookEvent = "webhook_event"
        /// An `Idempotency-Key` naming more than one generation, or a generation it does not name.
        case idempotencyKey = "idempotency_key"
        /// A top-up's key whose credit is missing or is not the one it asked for.
        case creditRequest = "credit_request"
        /// A credit its top-up key should have prevented: a second one for the same key.
        case creditWithoutRequest = "credit_without_request"
        /// A card `topup` row without its paid order, or a paid order without its one `topup` row of its amount.
        case topUp = "topup"
    }

    /// One mistake: its class, the row it is in, and what is wrong there.
    package struct Finding: Sendable, Encodable, Equatable {
        package let kind: FindingClass
        /// The row, as "generation gen_…", "ledger row 12", "account acct_…", "output out_…".
        package let row: String
        package let message: String

        /// How the report prints it: the row first, so the first words say where to look.
        package var text: String { "\(self.row): \(self.message) [\(self.kind.rawValue)]" }

        enum CodingKeys: String, CodingKey {
            case kind = "class"
            case row, message
        }
    }

    /// The findings of one run, at most 200 kept (a broken database would otherwise print millions).
    struct Findings {
        static let limit = 200
        private(set) var kept: [Finding] = []

        mutating func add(_ kind: FindingClass, _ row: String, _ message: String) {
            if self.kept.count < Self.limit { self.kept.append(Finding(kind: kind, row: row, message: message)) }
        }
    }

    /// A generation the upstream billed for images its user got back.
    package struct UpstreamLoss: Sendable, Encodable, Equatable {
        package let generationId: String
        package let status: String
        /// All the upstream billed for it.
        package let upstreamCostUsd: MicroUSD
        package let refundedUsd: MicroUSD
        /// The share of that bill for images that were not delivered: the operator's loss (a delivered image's cost
        /// is paid by its charge).
        package let lossUsd: MicroUSD
    }

    /// The outcome; `findings` is empty when the books balance.
    package struct Report: Sendable, Encodable {
        package var accounts = 0
        package var ledgerRows = 0
        package var generations = 0
        package var unfinishedGenerations = 0
        package var credited = MicroUSD.zero
        package var charged = MicroUSD.zero
        package var released = MicroUSD.zero
        package var refunded = MicroUSD.zero
        package var available = MicroUSD.zero
        package var held = MicroUSD.zero
        /// Every mistake found (at most 200), each with its class and row.
        package var findings: [Finding] = []
        /// Generations the upstream billed for images their users got back (at most 200 listed), and the total of
        /// what was lost on them.
        package var upstreamLosses: [UpstreamLoss] = []
        package var upstreamLossTotal = MicroUSD.zero
        /// Whether the charged outputs' blobs were looked for in the store (`--blobs`).
        package var blobsChecked = false

        package var isClean: Bool { self.findings.isEmpty }
        /// The findings as lines of text.
        package var problems: [String] { self.findings.map(\.text) }

        enum CodingKeys: String, CodingKey {
            case accounts, generations, problems, findings
            case ledgerRows = "ledger_rows"
            case unfinishedGenerations = "unfinished_generations"
            case credited = "credited_usd"
            case charged = "charged_usd"
            case released = "released_usd"
            case refunded = "refunded_usd"
            case available = "available_usd"
            case held = "held_usd"
            case isClean = "clean"
            case upstreamLosses = "upstream_losses"
            case upstreamLossTotal = "upstream_loss_usd"
            case blobsChecked = "blobs_checked"
        }

        /// Written by hand for `clean` and `problems`, which are computed.
        package func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.isClean, forKey: .isClean)
            try c.encode(self.accounts, forKey: .accounts)
            try c.encode(self.ledgerRows, forKey: .ledgerRows)
            try c.encode(self.generations, forKey: .generations)
            try c.encode(self.unfinishedGenerations, forKey: .unfinishedGenerations)
            try c.encode(self.credited, forKey: .credited)
            try c.encode(self.charged, forKey: .charged)
            try c.encode(self.released, forKey: .released)
            try c.encode(self.refunded, forKey: .refunded)
            try c.encode(self.available, forKey: .available)
            try c.encode(self.held, forKey: .held)
            try c.encode(self.problems, forKey: .problems)
            try c.encode(self.findings, forKey: .findings)
            try c.encode(self.blobsChecked, forKey: .blobsChecked)
            try c.encode(self.upstreamLossTotal, forKey: .upstreamLossTotal)
            try c.encode(self.upstreamLosses, forKey: .upstreamLosses)
        }
    }
}
