import Essentials
import SQLKit
import Storage

/// Creates, finds and funds accounts.
package struct AccountStore: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// Whether `name` is a valid account name: 1–64 letters, digits, `.`, `_` or `-` (it appears in URL paths).
    package static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }

    /// Creates an account, optionally with opening credit (recorded as a `credit` ledger row).
    package func create(name: String, credit: MicroUSD = .zero, note: String = "opening credit") async throws -> Account {
        guard Self.isValidName(name) else { throw BillingError.invalidName(name) }
        let id = Identifier.make("acct")
        let now = Timestamp.nowMillis()
        return try await self.database.transaction { sql in
            if try await sql.raw("SELECT id FROM accounts WHERE name = \(bind: name)").first() != nil {
                throw BillingError.accountExists(name)
            }
            try await Self.insert(id: id, name: name, now: now, on: sql)
            if credit.micros > 0 {
                try await Ledger.credit(credit, account: id, note: note, on: sql)
            }
            return Account(id: id, name: name, balance: credit, held: .zero, createdAt: now)
        }
    }

    /// Inserts an empty account inside the caller's transaction (a sign-up makes its account and its user together).
    package static func insert(id: String, name: String, now: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            "INSERT INTO accounts (id, name, balance_micros, held_micros, created_at) VALUES (\(bind: id), \(bind: name), 0, 0, \(bind: now))"
        ).run()
    }

    package func find(name: String) async throws -> Account? {
        guard !name.containsNUL else { return nil }
        return try await self.database.read { sql in
            try await sql.raw("SELECT * FROM accounts WHERE name = \(bind: name)").first().map(Self.account)
        }
    }

    package func get(id: String) async throws -> Account? {
        guard !id.containsNUL else { return nil }
        return try await self.database.read { sql in
            try await sql.raw("SELECT * FROM accounts WHERE id = \(bind: id)").first().map(Self.account)
        }
    }

    package func list() async throws -> [Account] {
        try await self.database.read { sql in
            try await sql.raw("SELECT * FROM accounts ORDER BY created_at, id").all().map(Self.account)
        }
    }

    /// True when no account exists yet (a fresh installation).
    package func isEmpty() async throws -> Bool {
        try await self.database.read { sql in
            try await sql.raw("SELECT id FROM accounts LIMIT 1").first() == nil
        }
    }

    static func account(_ row: any SQLRow) throws -> Account {
        Account(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            balance: MicroUSD(micros: try row.decode(column: "balance_micros", as: Int64.self)),
            held: MicroUSD(micros: try row.decode(column: "held_micros", as: Int64.self)),
            createdAt: try row.decode(column: "created_at", as: Int64.self),
            disabled: try row.decode(column: "disabled_at", as: Int64?.self) != nil
        )
    }

    /// Disables the account (its keys are refused, its money kept) or enables it again; nil when there is none.
    package func setDisabled(_ disabled: Bool, name: String) async throws -> Account? {
        guard !name.containsNUL else { return nil }
        return try await self.database.transaction { sql in
            // Disabling again keeps the first stamp.
            let change: SQLQueryString = disabled ? "COALESCE(disabled_at, \(bind: Timestamp.nowMillis()))" : "NULL"
            return try await sql.raw("UPDATE accounts SET disabled_at = \(change) WHERE name = \(bind: name) RETURNING *").first().map(Self.account)
        }
    }
}
