import Billing
import Essentials
import Foundation

/// The ledger as a spreadsheet reads it (`GET /v1/account/ledger.csv`): RFC 4180 quoting, and text cells that a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) prefixed with `'`.
enum LedgerCSV {
    static let header = "seq,created_at,kind,amount_usd,balance_after_usd,generation_id,note\r\n"

    static func line(_ entry: LedgerEntry) -> String {
        [
            String(entry.seq), Timestamp.iso8601(entry.createdAt), entry.kind.rawValue, entry.amount.description,
            entry.balanceAfter.description, Self.text(entry.generationID ?? ""), Self.text(entry.note),
        ].joined(separator: ",") + "\r\n"
    }

    /// A text cell: never a formula, quoted when it holds a comma, a quote or a line break.
    static func text(_ value: String) -> String {
        var cell = value
        if let first = cell.first, "=+-@\t\r".contains(first) { cell = "'" + cell }
        guard cell.contains(where: { ",\"\r\n".contains($0) }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
