import Foundation
import SQLKit
import Storage

extension Ledger {
    /// One ledger row as stored, its kind as written: the one reading of a `ledger` row. A kind this version does
    /// not know is reported by the books audit; everything else refuses it (`LedgerEntry(_:)`).
    package struct StoredRow: Sendable {
        package let seq: Int64
        package let accountID: String
        package let generationID: String?
        package let kind: String
        package let amount: MicroUSD
        package let balanceAfter: MicroUSD
        package let heldAfter: MicroUSD
        package let note: String
        package let createdAt: Int64

        init(_ row: any SQLRow) throws {
            self.seq = try row.decode(column: "seq", as: Int64.self)
            self.accountID = try row.decode(column: "account_id", as: String.self)
            self.generationID = try row.decode(column: "generation_id", as: String?.self)
            self.kind = try row.decode(column: "kind", as: String.self)
            self.amount = MicroUSD(micros: try row.decode(column: "amount_micros", as: Int64.self))
            self.balanceAfter = MicroUSD(micros: try row.decode(column: "balance_after", as: Int64.self))
            self.heldAfter = MicroUSD(micros: try row.decode(column: "held_after", as: Int64.self))
            self.note = try row.decode(column: "note", as: String.self)
            self.createdAt = try row.decode(column: "created_at", as: Int64.self)
        }
    }

    /// Every row of every account, account by account and each account's in order (for the books audit).
    package static func everyRow(on sql: any SQLDatabase) async throws -> [StoredRow] {
        try await Self.rows(where: "1 = 1", order: "account_id, seq", on: sql)
    }

    /// The rows `filter` picks, in `order`, at most `limit` of them: the one query of the ledger's rows.
    static func rows(where filter: SQLQueryString, order: SQLQueryString, limit: Int? = nil, on sql: any SQLDatabase) async throws
        -> [StoredRow]
    {
        let limited: SQLQueryString = if let limit { " LIMIT \(bind: limit)" } else { "" }
        return try await sql.raw(
            """
            SELECT seq, account_id, generation_id, kind, amount_micros, balance_after, held_after, note, created_at
            FROM ledger WHERE \(filter) ORDER BY \(order)\(limited)
            """
        ).all().map(StoredRow.init)
    }
}

extension LedgerEntry {
    /// A stored row whose kind this version knows; an unknown kind is an error, never guessed (it would move money
    /// the wrong way).
    init(_ row: Ledger.StoredRow) throws {
        guard let kind = LedgerKind(rawValue: row.kind) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "unknown ledger kind '\(row.kind)'"))
        }
        self.init(
            seq: row.seq,
            accountID: row.accountID,
            generationID: row.generationID,
            kind: kind,
            amount: row.amount,
            balanceAfter: row.balanceAfter,
            heldAfter: row.heldAfter,
            note: row.note,
            createdAt: row.createdAt
        )
    }
}
