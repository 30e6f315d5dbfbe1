import Billing
import Essentials
import Generation
import Payments
import Storage
import Webhooks

/// The operator's use cases — accounts, keys, credit, usage, margin and the books audit — for the admin API (and any
/// other operator front door), so that no HTTP code holds a database handle.
package struct Operations: Sendable {
    let accounts: AccountStore
    let keys: APIKeyStore
    let credits: Credits
    let database: any Database

    package init(database: any Database) {
        self.database = database
        self.accounts = AccountStore(database: database)
        self.keys = APIKeyStore(database: database)
        self.credits = Credits(database: database)
    }

    // MARK: Keys and accounts

    /// The key behind a bearer secret, with its account and limits; nil for an unknown or revoked one.
    package func authenticate(secret: String) async throws -> AuthenticatedKey? {
        try await self.keys.authenticate(secret: secret)
    }

    /// A new account with its opening credit (`BillingError.accountExists` when the name is taken).
    package func createAccount(name: String, credit: MicroUSD) async throws -> Account {
        try await self.accounts.create(name: name, credit: credit)
    }

    package func accounts() async throws -> [Account] { try await self.accounts.list() }

    package func account(named name: String) async throws -> Account? { try await self.accounts.find(name: name) }

    package func account(id: String) async throws -> Account? { try await self.accounts.get(id: id) }

    /// A new key of the account: its description and its secret, which is shown this once.
    package func createKey(accountID: String, label: String, limits: NewKeyLimits) async throws -> (APIKeyInfo, String) {
        try await self.keys.create(
            accountID: accountID,
            label: label,
            dailyLimit: limits.dailyLimit,
            maxConcurrency: limits.maxConcurrency,
            requestsPerMinute: limits.requestsPerMinute,
            imagesPerMinute: limits.imagesPerMinute
        )
    }

    /// Revokes one live key of the account; nil when it has none with this id.
    package func revokeKey(id: String, accountID: String) async throws -> APIKeyInfo? {
        guard !id.containsNUL else { return nil }
        return try await self.keys.revoke(id: id, accountID: accountID)
    }

    /// Relabels one live key of the account or changes its daily limit; nil when the account has no such key.
    package func updateKey(id: String, accountID: String, label: String?, dailyLimit: MicroUSD??) async throws -> APIKeyInfo? {
        try await self.keys.update(id: id, accountID: accountID, label: label, dailyLimit: dailyLimit)
    }

    /// The keys of one account, or of all.
    package func keys(accountID: String?) async throws -> [APIKeyInfo] { try await self.keys.list(accountID: accountID) }

    /// Revokes every live key starting with `prefix` (at least 6 characters) and returns them.
    package func revokeKeys(prefix: String) async throws -> [APIKeyInfo] { try await self.keys.revoke(prefix: prefix) }

    /// Sets (or, with `.some(nil)`, gives back to the server's default) the rate limits of the one live key whose
    /// secret starts with `prefix`.
    package func setRateLimits(prefix: String, requestsPerMinute: Int??, imagesPerMinute: Int??) async throws -> APIKeyStore.RateLimitUpdate {
        try await self.keys.setRateLimits(prefix: prefix, requestsPerMinute: requestsPerMinute, imagesPerMinute: imagesPerMinute)
    }

    /// Adds credit to the account; with `idempotencyKey`, a retried request adds it once.
    package func addCredit(_ amount: MicroUSD, accountID: String, note: String, idempotencyKey: String?) async throws -> Credits.Outcome {
        let outcome = try await self.credits.add(amount, accountID: accountID, note: note, idempotencyKey: idempotencyKey)
        if outcome != .replayed { CreditAdded.record(micros: amount.micros) }
        return outcome
    }

    // MARK: Reports

    /// Images, spend and refunds by day and model, for one account or all.
    package func usage(accountID: String?) async throws -> [UsageReport.DailyUsage] {
        try await UsageReport.daily(accountID: accountID, on: self.database)
    }

    /// Cash received by card beside what customers spent and what the suppliers bill, over all time.
    package func cash() async throws -> UsageReport.Cash {
        try await UsageReport.cash(on: self.database)
    }

    /// Revenue against upstream cost, by model (and by day with `byDay`).
    package func margins(_ grouping: UsageReport.MarginGrouping = .init()) async throws -> [UsageReport.Margin] {
        try await UsageReport.margins(grouping, on: self.database)
    }

    /// Replays every account's books (see `BooksAudit`).
    package func audit() async throws -> BooksAudit.Report {
        try await BooksAudit.run(on: self.database)
    }

    /// Disables an account (its keys answer 403, its money is kept) or enables it again; nil when there is none.
    package func setDisabled(_ disabled: Bool, name: String) async throws -> Account? {
        try await self.accounts.setDisabled(disabled, name: name)
    }

    /// Card top-up orders, newest first.
    package func payments(limit: Int) async throws -> [PaymentOrder] {
        try await PaymentOrder.recent(limit: limit, on: self.database)
    }

    /// The accounts a card payment flagged (refund, dispute, mismatch), each with its newest order's flag.
    package func paymentFlags() async throws -> [String: String] {
        try await PaymentOrder.flags(on: self.database)
    }

    /// One generation as the operator reads it, with every attempt (nil: no such generation).
    package func generationBooks(id: String) async throws -> GenerationBooks? {
        try await GenerationStore(database: self.database).books(of: id)
    }

    /// The account's webhook signing secret, made on first use.
    package func webhookSecret(accountID: String) async throws -> WebhookSecret {
        try await WebhookSecrets(database: self.database).secret(accountID: accountID, now: Timestamp.nowMillis())
    }

    /// A new webhook signing secret for the account; the replaced one keeps signing for a day beside it.
    package func rotateWebhookSecret(accountID: String) async throws -> WebhookSecret {
        try await WebhookSecrets(database: self.database).rotate(accountID: accountID, now: Timestamp.nowMillis())
    }

    /// An account with its latest ledger rows, newest first: what `GET /v1/account` shows its owner.
    package func statement(accountID: String, rows: Int) async throws -> (Account, [LedgerEntry])? {
        guard let account = try await self.account(id: accountID) else { return nil }
        let entries = try await self.database.read { sql in try await Ledger.recent(account: accountID, limit: rows, on: sql) }
        return (account, entries)
    }

    /// One page of an account's ledger, newest first: `limit` rows older than row `before` (the newest when nil).
    package func ledger(accountID: String, limit: Int, before: Int64?) async throws -> [LedgerEntry] {
        try await self.database.read { sql in try await Ledger.recent(account: accountID, limit: limit, before: before, on: sql) }
    }
}

/// The limits a new key starts with; nil: none of its own.
package struct NewKeyLimits: Sendable {
    package var dailyLimit: MicroUSD?
    package var maxConcurrency: Int?
    package var requestsPerMinute: Int?
    package var imagesPerMinute: Int?

    package init(dailyLimit: MicroUSD? = nil, maxConcurrency: Int? = nil, requestsPerMinute: Int? = nil, imagesPerMinute: Int? = nil) {
        self.dailyLimit = dailyLimit
        self.maxConcurrency = maxConcurrency
        self.requestsPerMinute = requestsPerMinute
        self.imagesPerMinute = imagesPerMinute
    }
}
