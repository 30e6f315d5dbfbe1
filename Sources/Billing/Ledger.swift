import Essentials
import SQLKit
import Storage

/// Moves money. Every function runs inside the caller's transaction (`sql`), changes the account's balances with
/// one guarded `UPDATE … RETURNING` and appends one ledger row per movement, so balance and ledger always agree.
///
/// The guard in each `UPDATE` (`balance_micros >= amount`, `held_micros >= amount`) is what makes overdraft
/// impossible under concurrency: the database checks and subtracts in one step, and the CHECK constraints on the
/// table refuse a negative value even if a guard were ever wrong.
package enum Ledger {
    /// Moves `amount` from available to held for a generation, or throws `insufficientBalance`.
    package static func hold(_ amount: MicroUSD, account: String, generation: String, on sql: any SQLDatabase) async throws {
        let row = try await sql.raw(
            """
            UPDATE accounts SET balance_micros = balance_micros - \(bind: amount.micros), held_micros = held_micros + \(bind: amount.micros)
            WHERE id = \(bind: account) AND balance_micros >= \(bind: amount.micros)
            RETURNING balance_micros, held_micros
            """
        ).first()
        guard let row else {
            let available = try await Self.balances(account: account, on: sql).available
            throw BillingError.insufficientBalance(available: available, required: amount)
        }
        try await Self.append(.hold, amount, account: account, generation: generation, after: row, on: sql)
    }

    /// Ends a hold: `charge` leaves the account (delivered images) and `returned` goes back to the available
    /// balance, as a `release` (completed generation) or a `refund` (failed generation).
    /// `charge + returned` must equal what is still held for the generation.
    package static func settle(
        charge: MicroUSD,
        returned: MicroUSD,
        returnKind: LedgerKind,
        account: String,
        generation: String,
        on sql: any SQLDatabase
    ) async throws {
        precondition(returnKind == .release || returnKind == .refund)
        if charge.micros > 0 {
            let row = try await sql.raw(
                """
                UPDATE accounts SET held_micros = held_micros - \(bind: charge.micros)
                WHERE id = \(bind: account) AND held_micros >= \(bind: charge.micros)
                RETURNING balance_micros, held_micros
                """
            ).first()
            guard let row else { throw BillingError.inconsistent("charge exceeds held amount on \(account)") }
            try await Self.append(.charge, charge, account: account, generation: generation, after: row, on: sql)
        }
        if returned.micros > 0 {
            let row = try await sql.raw(
                """
                UPDATE accounts SET held_micros = held_micros - \(bind: returned.micros), balance_micros = balance_micros + \(bind: returned.micros)
                WHERE id = \(bind: account) AND held_micros >= \(bind: returned.micros)
                RETURNING balance_micros, held_micros
                """
            ).first()
            guard let row else { throw BillingError.inconsistent("return exceeds held amount on \(account)") }
            try await Self.append(returnKind, returned, account: account, generation: generation, after: row, on: sql)
        }
    }

    /// Adds money to an account: the operator's `credit`, or a paid card `topup`. Returns the row's `seq`.
    @discardableResult
    package static func credit(
        _ amount: MicroUSD,
        account: String,
        note: String,
        kind: LedgerKind = .credit,
        on sql: any SQLDatabase
    ) async throws -> Int64 {
        precondition(amount.micros > 0 && [.credit, .topup].contains(kind))
        let row = try await sql.raw(
            """
            UPDATE accounts SET balance_micros = balance_micros + \(bind: amount.micros)
            WHERE id = \(bind: account)
            RETURNING balance_micros, held_micros
            """
        ).first()
        guard let row else { throw BillingError.accountNotFound(account) }
        return try await Self.append(kind, amount, account: account, generation: nil, note: note, after: row, on: sql)
    }

    /// Takes up to `amount` back out of the account's available balance (a refunded or disputed card payment): never
    /// more than is available, so the balance never goes negative and held money is never touched. Returns what was
    /// taken (zero, and no row, when nothing was available).
    package static func takeBack(upTo amount: MicroUSD, account: String, note: String, on sql: any SQLDatabase) async throws -> MicroUSD {
        // Locks the account's row first (a write to itself), so the balance read is the one the debit applies to.
        guard
            let current = try await sql.raw(
                "UPDATE accounts SET balance_micros = balance_micros WHERE id = \(bind: account) RETURNING balance_micros"
            ).first()
        else { throw BillingError.accountNotFound(account) }
        let taken = min(amount.micros, try current.decode(column: "balance_micros", as: Int64.self))
        guard taken > 0 else { return .zero }
        let row = try await sql.raw(
            """
            UPDATE accounts SET balance_micros = balance_micros - \(bind: taken)
            WHERE id = \(bind: account)
            RETURNING balance_micros, held_micros
            """
        ).first()
        guard let row else { throw BillingError.accountNotFound(account) }
        try await Self.append(.debit, MicroUSD(micros: taken), account: account, generation: nil, note: note, after: row, on: sql)
        return MicroUSD(micros: taken)
    }

    /// Current (available, held) of an account.
    package static func balances(account: String, on sql: any SQLDatabase) async throws -> (available: MicroUSD, held: MicroUSD) {
        guard let row = try await sql.raw("SELECT balance_micros, held_micros FROM accounts WHERE id = \(bind: account)").first() else {
            throw BillingError.accountNotFound(account)
        }
        return (
            MicroUSD(micros: try row.decode(column: "balance_micros", as: Int64.self)),
            MicroUSD(micros: try row.decode(column: "held_micros", as: Int64.self))
        )
    }

    /// The newest `limit` rows of an account older than row `before` (all rows when nil), newest first: a page.
    package static func recent(account: String, limit: Int, before: Int64? = nil, on sql: any SQLDatabase) async throws -> [LedgerEntry] {
        try await Self.rows(
            where: "account_id = \(bind: account) AND seq < \(bind: before ?? Int64.max)",
            order: "seq DESC",
            limit: limit,
            on: sql
        ).map(LedgerEntry.init)
    }

    /// Every row of one account, oldest first (for the audit).
    package static func all(account: String, on sql: any SQLDatabase) async throws -> [LedgerEntry] {
        try await Self.rows(where: "account_id = \(bind: account)", order: "seq", on: sql).map(LedgerEntry.init)
    }

    /// Every row of one generation, oldest first.
    package static func entries(generation: String, on sql: any SQLDatabase) async throws -> [LedgerEntry] {
        try await Self.rows(where: "generation_id = \(bind: generation)", order: "seq", on: sql).map(LedgerEntry.init)
    }

    /// Appends the row; returns its `seq`.
    @discardableResult
    private static func append(
        _ kind: LedgerKind,
        _ amount: MicroUSD,
        account: String,
        generation: String?,
        note: String = "",
        after row: any SQLRow,
        on sql: any SQLDatabase
    ) async throws -> Int64 {
        let balance = try row.decode(column: "balance_micros", as: Int64.self)
        let held = try row.decode(column: "held_micros", as: Int64.self)
        let inserted = try await sql.raw(
            """
            INSERT INTO ledger (account_id, generation_id, kind, amount_micros, balance_after, held_after, note, created_at)
            VALUES (\(bind: account), \(bind: generation), \(bind: kind.rawValue), \(bind: amount.micros), \(bind: balance), \(bind: held),
                    \(bind: note), \(bind: Timestamp.nowMillis()))
            RETURNING seq
            """
        ).first()
        guard let inserted else { throw BillingError.inconsistent("ledger row not written for \(account)") }
        return try inserted.decode(column: "seq", as: Int64.self)
    }
}
