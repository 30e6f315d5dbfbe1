import Metrics

/// `imagegate_credit_added_micros_total`: credit added through this process (the admin API). Top-ups by the CLI run
/// in a process of their own and show only in `imagegate_account_balance_micros`.
package enum CreditAdded {
    package static func record(micros: Int64) {
        guard micros > 0 else { return }
        Counter(label: "imagegate_credit_added_micros_total").increment(by: micros)
    }
}
