import Accounts
import ArgumentParser
import Billing
import Foundation
import Generation
import ImageGateApp

/// Prints a value as pretty JSON (for `--json`).
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `imagegate usage`: per-account usage by day and model, and margin by model and route, per day.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage", abstract: "Show usage by day and model, and revenue against upstream cost.")
    @Option(help: "Only this account.") var account: String?
    @Flag(help: "Print JSON instead of tables.") var json = false
    @OptionGroup var data: DataOptions

    struct Output: Encodable {
        let usage: [UsageReport.DailyUsage]
        let margin: [UsageReport.Margin]
        let cash: UsageReport.Cash
    }

    func run() async throws {
        let output = try await withEnvironment(self.data, readOnly: true) { env in
            var accountID: String?
            if let name = self.account {
                guard let account = try await AccountStore(database: env.database).find(name: name) else {
                    throw ValidationError("no account named '\(name)'")
                }
                accountID = account.id
            }
            return Output(
                usage: try await UsageReport.daily(accountID: accountID, on: env.database),
                margin: try await UsageReport.margins(.init(byDay: true, byRoute: true), on: env.database),
                cash: try await UsageReport.cash(on: env.database)
            )
        }
        if self.json { return try printJSON(output) }
        print("Usage by day and model")
        printTable(
            ["DAY", "ACCOUNT", "MODEL", "GENERATIONS", "IMAGES", "SPEND", "REFUNDS"],
            output.usage.map { [$0.day, $0.accountName, $0.model, "\($0.generations)", "\($0.images)", $0.spend.formatted, $0.refunds.formatted] }
        )
        print("\nRevenue against upstream cost, by day, model and the route that delivered")
        printTable(
            ["DAY", "MODEL", "ROUTE", "IMAGES", "REVENUE", "UPSTREAM COST", "MARGIN", "MARGIN %"],
            output.margin.map {
                [
                    $0.day ?? "", $0.model, $0.route ?? "", "\($0.images)", $0.revenue.formatted, $0.upstreamCost.formatted, $0.margin.formatted,
                    $0.marginPercent.map { "\($0)" } ?? "-",
                ]
            }
        )
        let cash = output.cash
        print("\nMoney in and out, all time")
        printTable(
            ["CARD TOP-UPS", "TAKEN BACK", "OPERATOR CREDITS", "SPENT", "UPSTREAM COST"],
            [
                [
                    cash.cardTopUps.formatted, cash.takenBack.formatted, cash.operatorCredits.formatted, cash.spent.formatted,
                    cash.upstreamCost.formatted,
                ]
            ]
        )
    }
}

/// `imagegate audit`: recomputes every balance from the ledger; exits non-zero on any difference.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the books: every balance replayed from the ledger, every generation's hold = charges + returns.",
        discussion: """
            Also checks that statuses agree with outputs, ledger kinds and webhook events, that upstream costs are what \
            the upstream bills, and that each Idempotency-Key names one generation and each top-up key its one credit. \
            Each problem names its row and its class; the command exits 1 when there is any.
            """
    )
    @Flag(help: "Print JSON instead of a summary.") var json = false
    @Flag(help: "Also check that every served output's blob is in the blob store (one request per output).") var blobs = false
    @OptionGroup var data: DataOptions

    func run() async throws {
        let report = try await withEnvironment(self.data, readOnly: true) { env in
            try await BooksAudit.run(on: env.database, blobs: self.blobs ? env.blobs : nil)
        }
        if self.json {
            try printJSON(report)
        } else {
            print(
                """
                accounts \(report.accounts), ledger rows \(report.ledgerRows), generations \(report.generations) (\(report.unfinishedGenerations) unfinished)
                credited \(report.credited.formatted), charged \(report.charged.formatted), released \(report.released.formatted), refunded \(report.refunded.formatted)
                available \(report.available.formatted), held \(report.held.formatted)
                """
            )
            for finding in report.findings { print("PROBLEM [\(finding.kind.rawValue)] \(finding.row): \(finding.message)") }
            if !report.upstreamLosses.isEmpty {
                // Not a books error: money the operator paid the upstream for work its users got back.
                print("upstream billed \(report.upstreamLossTotal.formatted) for images whose money went back:")
                for loss in report.upstreamLosses {
                    print(
                        "  \(loss.generationId) (\(loss.status)): lost \(loss.lossUsd.formatted) of upstream \(loss.upstreamCostUsd.formatted), returned \(loss.refundedUsd.formatted)"
                    )
                }
            }
            print(report.isClean ? "audit: clean" : "audit: \(report.problems.count) problem(s)")
        }
        if !report.isClean { throw ExitCode(1) }
    }
}
