import Billing
import Foundation
import Generation
import SQLKit
import Storage

/// Recomputes the books from the ledger and checks them against every balance and every generation, all from one
/// consistent snapshot (so a live server's commits between two reads cannot show a difference that is not there).
///
/// - Each ledger row has a known kind and belongs to an existing generation of its own account (or to none).
/// - Each account's rows, replayed in order, give each row's `balance_after`/`held_after` and the account's
///   current balance and held amount; neither is ever negative.
/// - Each generation holds price × `num_images`; once it has ended it is charged price × the images it delivered
///   (its output rows), and its hold equals its charges plus releases and refunds; its `charged`/`refunded` columns
///   match its rows; nothing has moved while it runs.
/// - Each account's held amount equals the holds of its unfinished generations.
/// - Each ended generation that asked for a webhook has exactly one event in the outbox; no other one has any.
///
/// What the upstream billed for generations whose users were refunded is reported apart, as `upstreamLosses`: it
/// is the operator's loss, not an error in the books.
package enum BooksAudit {
    /// A generation the upstream billed while its user got money back.
    package struct UpstreamLoss: Sendable, Encodable, Equatable {
        package let generationId: String
        package let status: String
        package let upstreamCostUsd: MicroUSD
        package let refundedUsd: MicroUSD
    }

    /// The outcome; `problems` is empty when the books balance.
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
        package var problems: [String] = []
        /// Refunded generations the upstream billed (at most 200 listed), and their total.
        package var upstreamLosses: [UpstreamLoss] = []
        package var upstreamLossTotal = MicroUSD.zero

        package var isClean: Bool { self.problems.isEmpty }

        enum CodingKeys: String, CodingKey {
            case accounts, generations, problems
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
        }

        /// Written by hand for `clean`, which is computed.
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
            try c.encode(self.upstreamLossTotal, forKey: .upstreamLossTotal)
            try c.encode(self.upstreamLosses, forKey: .upstreamLosses)
        }
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
    }

    /// Runs every check in one snapshot of the database.
    package static func run(on database: any Database) async throws -> Report {
        try await database.snapshot { sql in
            var report = Report()
            var problems: [String] = []
            func problem(_ text: String) { if problems.count < 200 { problems.append(text) } }

            let accounts = try await sql.raw("SELECT id, balance_micros, held_micros FROM accounts ORDER BY id").all()
            report.accounts = accounts.count
            let accountIDs = Set(try accounts.map { try $0.decode(column: "id", as: String.self) })

            var generations: [String: Generation] = [:]
            for row in try await sql.raw(
                """
                SELECT g.id, g.account_id, g.status, g.num_images, g.price_micros, g.hold_micros, g.charged_micros,
                    g.refunded_micros, g.upstream_cost_micros, (SELECT COUNT(*) FROM outputs o WHERE o.generation_id = g.id) AS outputs
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
                    outputs: try row.decode(column: "outputs", as: Int64.self)
                )
                generations[generation.id] = generation
            }
            report.generations = generations.count

            let rows = try await Ledger.everyRow(on: sql)
            report.ledgerRows = rows.count

            // Replay each account's rows in order.
            var replayed: [String: (available: Int64, held: Int64)] = [:]
            var perGeneration: [String: [LedgerKind: Int64]] = [:]
            for row in rows {
                if !accountIDs.contains(row.accountID) { problem("ledger row \(row.seq): account \(row.accountID) does not exist") }
                guard let kind = LedgerKind(rawValue: row.kind) else {
                    problem("ledger row \(row.seq): unknown kind '\(row.kind)'")
                    continue
                }
                if row.amount.micros < 0 { problem("ledger row \(row.seq): negative amount \(row.amount)") }
                if let generationID = row.generationID {
                    if let generation = generations[generationID] {
                        if generation.accountID != row.accountID {
                            problem(
                                "ledger row \(row.seq): generation \(generationID) belongs to account \(generation.accountID), not \(row.accountID)"
                            )
                        }
                    } else {
                        problem("ledger row \(row.seq): generation \(generationID) does not exist")
                    }
                    perGeneration[generationID, default: [:]][kind, default: 0] += row.amount.micros
                }
                let effect = kind.effect(row.amount.micros)
                var balance = replayed[row.accountID, default: (0, 0)]
                balance.available += effect.available
                balance.held += effect.held
                replayed[row.accountID] = balance
                if balance.available != row.balanceAfter.micros || balance.held != row.heldAfter.micros {
                    problem(
                        "account \(row.accountID): ledger row \(row.seq) says \(row.balanceAfter)/\(row.heldAfter), replay gives \(MicroUSD(micros: balance.available))/\(MicroUSD(micros: balance.held))"
                    )
                }
                if balance.available < 0 || balance.held < 0 { problem("account \(row.accountID): negative balance after ledger row \(row.seq)") }
                switch kind {
                case .credit: report.credited = report.credited + row.amount
                case .charge: report.charged = report.charged + row.amount
                case .release: report.released = report.released + row.amount
                case .refund: report.refunded = report.refunded + row.amount
                case .debit, .hold: break
                }
            }

            var unfinishedHolds: [String: Int64] = [:]
            for generation in generations.values.sorted(by: { $0.id < $1.id }) {
                let id = generation.id
                let kinds = perGeneration[id] ?? [:]
                let charged = kinds[.charge] ?? 0
                let returned = (kinds[.release] ?? 0) + (kinds[.refund] ?? 0)
                if generation.hold != generation.price * generation.numImages {
                    problem(
                        "generation \(id): hold \(MicroUSD(micros: generation.hold)) is not \(generation.numImages) × \(MicroUSD(micros: generation.price))"
                    )
                }
                if (kinds[.hold] ?? 0) != generation.hold {
                    problem("generation \(id): hold \(MicroUSD(micros: generation.hold)) but ledger holds \(MicroUSD(micros: kinds[.hold] ?? 0))")
                }
                if GenerationStatus(rawValue: generation.status)?.isFinal == true {
                    if charged + returned != generation.hold {
                        problem(
                            "generation \(id): hold \(MicroUSD(micros: generation.hold)) != charges \(MicroUSD(micros: charged)) + returns \(MicroUSD(micros: returned))"
                        )
                    }
                    if generation.charged != charged || generation.refunded != returned {
                        problem("generation \(id): charged/refunded columns disagree with the ledger")
                    }
                    if charged != generation.price * generation.outputs {
                        problem(
                            "generation \(id): charged \(MicroUSD(micros: charged)) for \(generation.outputs) delivered image(s) at \(MicroUSD(micros: generation.price))"
                        )
                    }
                    if generation.upstreamCost > 0 && returned > 0 {
                        report.upstreamLossTotal = report.upstreamLossTotal + MicroUSD(micros: generation.upstreamCost)
                        if report.upstreamLosses.count < 200 {
                            report.upstreamLosses.append(
                                UpstreamLoss(
                                    generationId: id,
                                    status: generation.status,
                                    upstreamCostUsd: MicroUSD(micros: generation.upstreamCost),
                                    refundedUsd: MicroUSD(micros: returned)
                                )
                            )
                        }
                    }
                } else {
                    report.unfinishedGenerations += 1
                    unfinishedHolds[generation.accountID, default: 0] += generation.hold
                    if charged + returned != 0 { problem("generation \(id) is \(generation.status) but money has already been settled") }
                }
            }

            for account in accounts {
                let id = try account.decode(column: "id", as: String.self)
                let storedAvailable = try account.decode(column: "balance_micros", as: Int64.self)
                let storedHeld = try account.decode(column: "held_micros", as: Int64.self)
                let balance = replayed[id, default: (0, 0)]
                if storedAvailable != balance.available || storedHeld != balance.held {
                    problem(
                        "account \(id): balance \(MicroUSD(micros: storedAvailable))/\(MicroUSD(micros: storedHeld)) but the ledger gives \(MicroUSD(micros: balance.available))/\(MicroUSD(micros: balance.held))"
                    )
                }
                if storedHeld != unfinishedHolds[id, default: 0] {
                    problem(
                        "account \(id): holds \(MicroUSD(micros: storedHeld)) but its unfinished generations hold \(MicroUSD(micros: unfinishedHolds[id, default: 0]))"
                    )
                }
                report.available = report.available + MicroUSD(micros: storedAvailable)
                report.held = report.held + MicroUSD(micros: storedHeld)
            }
            // Every ended generation that asked for a webhook has its one event, written with its settlement; nothing
            // else has one.
            for row in try await sql.raw(
                """
                SELECT g.id, g.status, g.request_json, (SELECT COUNT(*) FROM webhook_deliveries w WHERE w.generation_id = g.id) AS events
                FROM generations g ORDER BY g.id
                """
            ).all() {
                let id = try row.decode(column: "id", as: String.self)
                let ended = GenerationStatus(rawValue: try row.decode(column: "status", as: String.self))?.isFinal ?? false
                let request = try GenerationStore.decode(StoredRequest.self, try row.decode(column: "request_json", as: String.self))
                let expected = ended && request.parameters.webhookURL != nil ? 1 : 0
                let events = try row.decode(column: "events", as: Int.self)
                if events != expected { problem("generation \(id): \(events) webhook events, expected \(expected)") }
            }
            report.problems = problems
            return report
        }
    }
}
