import Billing
import Storage

/// The operator's use cases — accounts, keys, credit, usage, margin and the books audit — for the admin API (and any
/// other operator front door), so that no HTTP code holds a database handle.
public struct Operations: Sendable {
    public let accounts: AccountStore
    public let keys: APIKeyStore
    public let credits: Credits
    let database: any Database

    public init(database: any Database) {
        self.database = database
        self.accounts = AccountStore(database: database)
        self.keys = APIKeyStore(database: database)
        self.credits = Credits(database: database)
    }

    /// Images, spend and refunds by day and model, for one account or all.
    public func usage(accountID: String?) async throws -> [UsageReport.DailyUsage] {
        try await UsageReport.daily(accountID: accountID, on: self.database)
    }

    /// Revenue against upstream cost, by model (and by day with `byDay`).
    public func margins(byDay: Bool = false) async throws -> [UsageReport.Margin] {
        try await UsageReport.margins(byDay: byDay, on: self.database)
    }

    /// Replays every account's books (see `BooksAudit`).
    public func audit() async throws -> BooksAudit.Report {
        try await BooksAudit.run(on: self.database)
    }

    /// The account's webhook signing secret, made on first use.
    public func webhookSecret(accountID: String) async throws -> WebhookSecret {
        try await WebhookSecrets(database: self.database).secret(accountID: accountID, now: Timestamp.nowMillis())
    }

    /// A new webhook signing secret for the account; the replaced one keeps signing for a day beside it.
    public func rotateWebhookSecret(accountID: String) async throws -> WebhookSecret {
        try await WebhookSecrets(database: self.database).rotate(accountID: accountID, now: Timestamp.nowMillis())
    }

    /// An account with its latest ledger rows, newest first: what `GET /v1/account` shows its owner.
    public func statement(accountID: String, rows: Int) async throws -> (Account, [LedgerEntry])? {
        guard let account = try await self.accounts.get(id: accountID) else { return nil }
        let entries = try await self.database.read { sql in try await Ledger.recent(account: accountID, limit: rows, on: sql) }
        return (account, entries)
    }

    /// One page of an account's ledger, newest first: `limit` rows older than row `before` (the newest when nil).
    public func ledger(accountID: String, limit: Int, before: Int64?) async throws -> [LedgerEntry] {
        try await self.database.read { sql in try await Ledger.recent(account: accountID, limit: limit, before: before, on: sql) }
    }
}
