import Billing
import Blobs
import Essentials
import Generation
import Storage

/// Recomputes the books from the ledger and checks them against every balance, every generation, its outputs, its
/// webhook and the keys that asked for it, all from one consistent snapshot (so a live server's commits between two
/// reads cannot show a difference that is not there). Each finding names its row and its class (`FindingClass`).
///
/// - Each ledger row has a known kind and belongs to an existing generation of its own account (or to none); only
///   holds, charges, releases and refunds are linked to a generation.
/// - Each account's rows, replayed in order, give each row's `balance_after`/`held_after` and the account's
///   current balance and held amount; neither is ever negative.
/// - Each generation holds price × `num_images`; once it has ended it is charged price × the images it delivered
///   (its output rows), and its hold equals its charges plus returns; its `charged`/`refunded` columns match its
///   rows; nothing has moved while it runs. Each account's held amount equals the holds of its unfinished generations.
/// - Statuses agree with outputs and ledger kinds (`BooksAudit+Statuses`): completed has outputs, failed and
///   cancelled none; a failure's rest is refunded, anything else's released. Each ended generation that asked for a
///   webhook has exactly one event, of its end's type; no other one has any.
/// - `upstream_cost` is what the upstream bills for what it was asked (`BooksAudit+Upstream`).
/// - One `Idempotency-Key` names one generation, and each top-up key its one credit (`BooksAudit+Keys`).
/// - With a blob store: every served output's blob is there (`BooksAudit+Blobs`).
///
/// What the upstream billed for images whose users got their money back is reported apart, as `upstreamLosses`: it
/// is the operator's loss, not an error in the books.
package enum BooksAudit {
    /// Runs every check in one snapshot of the database; with `blobs`, also looks for each served output's blob
    /// there (after the snapshot: the store is not part of the database's transaction).
    package static func run(on database: any Database, blobs: (any BlobStore)? = nil) async throws -> Report {
        let now = Timestamp.nowMillis()
        let snapshot = try await database.snapshot { sql in try await Snapshot.read(on: sql, outputsServedAfter: blobs == nil ? nil : now) }
        var report = Report()
        var findings = Findings()
        report.accounts = snapshot.accounts.count
        report.generations = snapshot.generations.count
        report.ledgerRows = snapshot.ledger.count

        let replay = Self.replayLedger(snapshot, report: &report, findings: &findings)
        var unfinishedHolds: [String: Int64] = [:]
        for id in snapshot.generationIDs {
            guard let generation = snapshot.generations[id] else { continue }
            let kinds = replay.perGeneration[id] ?? [:]
            Self.checkMoney(generation, kinds: kinds, findings: &findings)
            Self.checkStatus(generation, kinds: kinds, findings: &findings)
            Self.checkWebhook(generation, findings: &findings)
            Self.checkUpstream(generation, returned: (kinds[.release] ?? 0) + (kinds[.refund] ?? 0), report: &report, findings: &findings)
            if generation.finalStatus == nil {
                report.unfinishedGenerations += 1
                unfinishedHolds[generation.accountID, default: 0] += generation.hold
            }
        }
        Self.checkAccounts(snapshot, replayed: replay.balances, unfinishedHolds: unfinishedHolds, report: &report, findings: &findings)
        Self.checkIdempotencyKeys(snapshot, findings: &findings)
        Self.checkCreditRequests(snapshot, findings: &findings)
        Self.checkTopUps(snapshot, findings: &findings)
        if let blobs {
            try await Self.checkBlobs(snapshot.servedOutputs, in: blobs, findings: &findings)
            report.blobsChecked = true
        }
        report.findings = findings.kept
        return report
    }

    /// What replaying the ledger gives: each account's balances, and each generation's amounts by kind.
    struct Replay {
        var balances: [String: (available: Int64, held: Int64)] = [:]
        var perGeneration: [String: [LedgerKind: Int64]] = [:]
    }

    /// Replays each account's rows in order, checking every row on the way, and totals the money by kind.
    static func replayLedger(_ snapshot: Snapshot, report: inout Report, findings: inout Findings) -> Replay {
        let accountIDs = Set(snapshot.accounts.map(\.id))
        var replay = Replay()
        for row in snapshot.ledger {
            let place = "ledger row \(row.seq)"
            if !accountIDs.contains(row.accountID) { findings.add(.ledgerRow, place, "account \(row.accountID) does not exist") }
            guard let kind = LedgerKind(rawValue: row.kind) else {
                findings.add(.ledgerRow, place, "unknown kind '\(row.kind)'")
                continue
            }
            if row.amount.micros < 0 { findings.add(.ledgerRow, place, "negative amount \(row.amount)") }
            if let generationID = row.generationID {
                if let generation = snapshot.generations[generationID] {
                    if generation.accountID != row.accountID {
                        findings.add(.ledgerRow, place, "generation \(generationID) belongs to account \(generation.accountID), not \(row.accountID)")
                    }
                } else {
                    findings.add(.ledgerRow, place, "generation \(generationID) does not exist")
                }
                switch kind {
                case .hold, .charge, .release, .refund:
                    replay.perGeneration[generationID, default: [:]][kind, default: 0] += row.amount.micros
                case .credit, .topup, .debit:
                    // No generation moves these: summed with it they would hide money that came or went outside it.
                    findings.add(.generationLedgerKind, place, "a \(kind.rawValue) of \(row.amount) is linked to generation \(generationID)")
                }
            }
            let effect = kind.effect(row.amount.micros)
            var balance = replay.balances[row.accountID, default: (0, 0)]
            balance.available += effect.available
            balance.held += effect.held
            replay.balances[row.accountID] = balance
            if balance.available != row.balanceAfter.micros || balance.held != row.heldAfter.micros {
                findings.add(
                    .balance,
                    "account \(row.accountID)",
                    "ledger row \(row.seq) says \(row.balanceAfter)/\(row.heldAfter), replay gives \(MicroUSD(micros: balance.available))/\(MicroUSD(micros: balance.held))"
                )
            }
            if balance.available < 0 || balance.held < 0 {
                findings.add(.balance, "account \(row.accountID)", "negative balance after ledger row \(row.seq)")
            }
            switch kind {
            case .credit, .topup: report.credited = report.credited + row.amount
            case .charge: report.charged = report.charged + row.amount
            case .release: report.released = report.released + row.amount
            case .refund: report.refunded = report.refunded + row.amount
            case .debit, .hold: break
            }
        }
        return replay
    }

    /// One generation's hold, charges and returns against its price, its delivered images and its columns.
    static func checkMoney(_ generation: Generation, kinds: [LedgerKind: Int64], findings: inout Findings) {
        let row = "generation \(generation.id)"
        let hold = MicroUSD(micros: generation.hold)
        let charged = kinds[.charge] ?? 0
        let returned = (kinds[.release] ?? 0) + (kinds[.refund] ?? 0)
        if generation.hold != generation.price * generation.numImages {
            findings.add(.hold, row, "hold \(hold) is not \(generation.numImages) × \(MicroUSD(micros: generation.price))")
        }
        if (kinds[.hold] ?? 0) != generation.hold {
            findings.add(.hold, row, "hold \(hold) but ledger holds \(MicroUSD(micros: kinds[.hold] ?? 0))")
        }
        guard generation.finalStatus != nil else {
            if charged + returned != 0 { findings.add(.settlement, row, "\(generation.status) but money has already been settled") }
            return
        }
        if charged + returned != generation.hold {
            findings.add(.settlement, row, "hold \(hold) != charges \(MicroUSD(micros: charged)) + returns \(MicroUSD(micros: returned))")
        }
        if generation.charged != charged || generation.refunded != returned {
            findings.add(.settlement, row, "charged/refunded columns disagree with the ledger")
        }
        if charged != generation.price * generation.outputs {
            findings.add(
                .settlement,
                row,
                "charged \(MicroUSD(micros: charged)) for \(generation.outputs) delivered image(s) at \(MicroUSD(micros: generation.price))"
            )
        }
    }

    /// Each account's stored balances against its replayed rows, and its held amount against its unfinished
    /// generations' holds; totals the balances.
    static func checkAccounts(
        _ snapshot: Snapshot,
        replayed: [String: (available: Int64, held: Int64)],
        unfinishedHolds: [String: Int64],
        report: inout Report,
        findings: inout Findings
    ) {
        for account in snapshot.accounts {
            let row = "account \(account.id)"
            let balance = replayed[account.id, default: (0, 0)]
            if account.available != balance.available || account.held != balance.held {
                findings.add(
                    .balance,
                    row,
                    "balance \(MicroUSD(micros: account.available))/\(MicroUSD(micros: account.held)) but the ledger gives \(MicroUSD(micros: balance.available))/\(MicroUSD(micros: balance.held))"
                )
            }
            let holds = unfinishedHolds[account.id, default: 0]
            if account.held != holds {
                findings.add(.hold, row, "holds \(MicroUSD(micros: account.held)) but its unfinished generations hold \(MicroUSD(micros: holds))")
            }
            report.available = report.available + MicroUSD(micros: account.available)
            report.held = report.held + MicroUSD(micros: account.held)
        }
    }
}
