import ArgumentParser
import Billing
import Foundation
import ImageGateApp
import Payments

/// `imagegate payments`: card top-up orders, newest first, with what became of each (operator).
struct PaymentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payments",
        abstract: "List card top-up orders with their status and flags (refunds, disputes, mismatches)."
    )
    @Option(help: "How many, newest first.") var limit = 50
    @OptionGroup var data: DataOptions

    func run() async throws {
        let orders = try await withEnvironment(self.data, readOnly: true) { env in try await PaymentOrder.recent(limit: self.limit, on: env.database)
        }
        printTable(
            ["ORDER", "ACCOUNT", "STATUS", "AMOUNT", "TAKEN BACK", "PAYMENT", "FLAG"],
            orders.map {
                [$0.id, $0.accountID, $0.status.rawValue, $0.amount.formatted, $0.takenBack.formatted, $0.paymentReference ?? "-", $0.flag ?? ""]
            }
        )
    }
}
