import Billing

extension BooksAudit {
    /// Card money comes in once per paid order: every `topup` ledger row is named by exactly one paid order of its
    /// account and amount, and every paid order names one `topup` row. A second credit for one payment, or a credit
    /// no payment backs, is a finding.
    static func checkTopUps(_ snapshot: Snapshot, findings: inout Findings) {
        var ordersByRow: [Int64: [PaidOrder]] = [:]
        for order in snapshot.paidOrders {
            let place = "order \(order.id)"
            guard let seq = order.ledgerSeq else {
                findings.add(.topUp, place, "is \(order.status) but names no ledger row")
                continue
            }
            if order.status != "paid" { findings.add(.topUp, place, "names ledger row \(seq) but is \(order.status)") }
            ordersByRow[seq, default: []].append(order)
        }
        for row in snapshot.ledger where row.kind == LedgerKind.topup.rawValue {
            let place = "ledger row \(row.seq)"
            let orders = ordersByRow.removeValue(forKey: row.seq) ?? []
            guard let order = orders.first else {
                findings.add(.topUp, place, "a topup of \(row.amount) that no paid order names")
                continue
            }
            if orders.count > 1 { findings.add(.topUp, place, "named by \(orders.count) orders") }
            if order.accountID != row.accountID || order.amount != row.amount.micros {
                findings.add(
                    .topUp,
                    place,
                    "is \(row.amount) for account \(row.accountID); order \(order.id) is \(MicroUSD(micros: order.amount)) for \(order.accountID)"
                )
            }
        }
        for (seq, orders) in ordersByRow.sorted(by: { $0.key < $1.key }) {
            for order in orders { findings.add(.topUp, "order \(order.id)", "names ledger row \(seq), which is not a topup") }
        }
    }
}
