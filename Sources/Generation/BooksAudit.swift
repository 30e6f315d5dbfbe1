import Billing
import Foundation
import SQLKit
import Storage

/// Recomputes the books from the ledger and checks them against every balance and every generation.
///
/// - Each account's rows, replayed in order, give each row's `balance_after`/`held_after` and the account's
///   current balance and held amount; neither is ever negative.
/// - Each generation's hold equals its charges plus releases and refunds once it has ended (and nothing else has
///   moved while it runs), and its `charged`/`refunded` columns match its rows.
/// - Each account's held amount equals the holds of its unfinished generations.
public enum BooksAudit {
    /// The outcome; `problems` is empty when the books balance.
    public struct Report: Sendable, Encodable {
        public var accounts = 0
        public var ledgerRows = 0
        public var generations = 0
        public var unfinishedGenerations = 0
        public var credited = MicroUSD.zero
        public var charged = MicroUSD.zero
        public var released = MicroUSD.zero
        public var refunded = MicroUSD.zero
        public var available = MicroUSD.zero
        public var held = MicroUSD.zero
        public var problems: [String] = []

        public var isClean: Bool { self.problems.isEmpty }

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
        }

        public func encode(to encoder: any Encoder) throws {
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
        }
    }

    /// Runs every check in one read transaction-free pass (call it on a quiet database for an exact answer).
    public static func run(on database: any Database) async throws -> Report {
        try await database.read { sql in
            var report = Report()
            var problems: [String] = []
            func problem(_ text: String) { if problems.count < 200 { problems.append(text) } }

            let accounts = try await sql.raw("SELECT id, balance_micros, held_micros FROM accounts ORDER BY id").all()
            report.accounts = accounts.count
            var perGeneration: [String: [LedgerKind: Int64]] = [:]
            var unfinishedHolds: [String: Int64] = [:]

            let generations = try await sql.raw(
                "SELECT id, account_id, status, hold_micros, charged_micros, refunded_micros FROM generations"
            ).all()
            report.generations = generations.count

            for account in accounts {
                let id = try account.decode(column: "id", as: String.self)
                let rows = try await Ledger.all(account: id, on: sql)
                report.ledgerRows += rows.count
                var available: Int64 = 0
                var held: Int64 = 0
                for row in rows {
                    let effect = row.kind.effect(row.amount.micros)
                    available += effect.available
                    held += effect.held
                    if available != row.balanceAfter.micros || held != row.heldAfter.micros {
                        problem(
                            "account \(id): ledger row \(row.seq) says \(row.balanceAfter)/\(row.heldAfter), replay gives \(MicroUSD(micros: available))/\(MicroUSD(micros: held))"
                        )
                    }
                    if available < 0 || held < 0 { problem("account \(id): negative balance after ledger row \(row.seq)") }
                    if let generation = row.generationID { perGeneration[generation, default: [:]][row.kind, default: 0] += row.amount.micros }
                    switch row.kind {
                    case .credit: report.credited = report.credited + row.amount
                    case .charge: report.charged = report.charged + row.amount
                    case .release: report.released = report.released + row.amount
                    case .refund: report.refunded = report.refunded + row.amount
                    case .debit, .hold: break
                    }
                }
                let storedAvailable = try account.decode(column: "balance_micros", as: Int64.self)
                let storedHeld = try account.decode(column: "held_micros", as: Int64.self)
                if storedAvailable != available || storedHeld != held {
                    problem(
                        "account \(id): balance \(MicroUSD(micros: storedAvailable))/\(MicroUSD(micros: storedHeld)) but the ledger gives \(MicroUSD(micros: available))/\(MicroUSD(micros: held))"
                    )
                }
                report.available = report.available + MicroUSD(micros: storedAvailable)
                report.held = report.held + MicroUSD(micros: storedHeld)
            }

            for generation in generations {
                let id = try generation.decode(column: "id", as: String.self)
                let account = try generation.decode(column: "account_id", as: String.self)
                let status = try generation.decode(column: "status", as: String.self)
                let hold = try generation.decode(column: "hold_micros", as: Int64.self)
                let kinds = perGeneration[id] ?? [:]
                let charged = kinds[.charge] ?? 0
                let returned = (kinds[.release] ?? 0) + (kinds[.refund] ?? 0)
                if (kinds[.hold] ?? 0) != hold {
                    problem("generation \(id): hold \(MicroUSD(micros: hold)) but ledger holds \(MicroUSD(micros: kinds[.hold] ?? 0))")
                }
                if status == "completed" || status == "failed" {
                    if charged + returned != hold {
                        problem(
                            "generation \(id): hold \(MicroUSD(micros: hold)) != charges \(MicroUSD(micros: charged)) + returns \(MicroUSD(micros: returned))"
                        )
                    }
                    if try generation.decode(column: "charged_micros", as: Int64.self) != charged
                        || generation.decode(column: "refunded_micros", as: Int64.self) != returned
                    {
                        problem("generation \(id): charged/refunded columns disagree with the ledger")
                    }
                } else {
                    report.unfinishedGenerations += 1
                    unfinishedHolds[account, default: 0] += hold
                    if charged + returned != 0 { problem("generation \(id) is \(status) but money has already been settled") }
                }
            }

            for account in accounts {
                let id = try account.decode(column: "id", as: String.self)
                let held = try account.decode(column: "held_micros", as: Int64.self)
                if held != unfinishedHolds[id, default: 0] {
                    problem(
                        "account \(id): holds \(MicroUSD(micros: held)) but its unfinished generations hold \(MicroUSD(micros: unfinishedHolds[id, default: 0]))"
                    )
                }
            }
            report.problems = problems
            return report
        }
    }
}
