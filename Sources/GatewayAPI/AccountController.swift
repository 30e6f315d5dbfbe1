import Accounts
import Billing
import Customers
import Essentials
import Generation
import Hummingbird
import HummingbirdAuth
import NIOCore
import Webhooks

/// `GET /v1/account`: balance and the latest ledger rows of the caller's account; `GET /v1/account/ledger`, the whole
/// ledger page by page; `GET /v1/account/usage`, spend by day and model.
struct AccountController {
    let operations: Operations

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("account", use: self.show)
        group.get("account/ledger", use: self.ledger)
        group.get("account/usage", use: self.usage)
        group.post("account/webhook-secret/rotate", use: self.rotateWebhookSecret)
        group.get("account/ledger.csv", use: self.ledgerCSV)
    }

    /// `GET /v1/account/ledger.csv`: the whole ledger, oldest row last, as a download.
    @Sendable func ledgerCSV(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        var text = LedgerCSV.header
        var before: Int64?
        // Page by page (newest first), so that a long ledger is read in bounded queries.
        repeat {
            let page = try await self.operations.ledger(accountID: accountID, limit: 1000, before: before)
            text += page.map(LedgerCSV.line).joined()
            before = page.count == 1000 ? page.last?.seq : nil
        } while before != nil
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"imagegate-ledger.csv\""],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// The account's webhook signing secret as its owner sees it.
    struct WebhookSecretBody: Encodable {
        let webhookSecret: String
        /// Until when the replaced secret still signs every delivery (beside this one); nil outside an overlap.
        let previousWebhookSecretExpiresAt: String?

        init(_ secret: WebhookSecret) {
            self.webhookSecret = secret.current
            self.previousWebhookSecretExpiresAt = secret.previousUntil.flatMap { $0 > Timestamp.nowMillis() ? APITime.string($0) : nil }
        }
    }

    struct Body: Encodable {
        let accountID: String
        let name: String
        let balance: MicroUSD
        let held: MicroUSD
        let webhookSecret: String
        let previousWebhookSecretExpiresAt: String?
        /// The signed-in person's email and whether it is verified; nil when a key (not a session) asked.
        let email: String?
        let emailVerified: Bool?
        let ledger: [Row]

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id"
            case name
            case balance = "balance_usd"
            case held = "held_usd"
            case webhookSecret = "webhook_secret"
            case previousWebhookSecretExpiresAt = "previous_webhook_secret_expires_at"
            case email
            case emailVerified = "email_verified"
            case ledger
        }
    }

    struct Row: Encodable {
        let seq: Int64
        let kind: String
        let amount: MicroUSD
        let balanceAfter: MicroUSD
        let generationID: String?
        let note: String
        let createdAt: String?

        init(_ entry: LedgerEntry) {
            self.seq = entry.seq
            self.kind = entry.kind.rawValue
            self.amount = entry.amount
            self.balanceAfter = entry.balanceAfter
            self.generationID = entry.generationID
            self.note = entry.note
            self.createdAt = APITime.string(entry.createdAt)
        }

        enum CodingKeys: String, CodingKey {
            case seq, kind
            case amount = "amount_usd"
            case balanceAfter = "balance_after_usd"
            case generationID = "generation_id"
            case note
            case createdAt = "created_at"
        }
    }

    @Sendable func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        guard let (account, entries) = try await self.operations.statement(accountID: accountID, rows: 20) else {
            throw APIError.unauthorized
        }
        let rows = entries.map(Row.init)
        let secret = WebhookSecretBody(try await self.operations.webhookSecret(accountID: account.id))
        return try JSONResponse.make(
            Body(
                accountID: account.id,
                name: account.name,
                balance: account.balance,
                held: account.held,
                webhookSecret: secret.webhookSecret,
                previousWebhookSecretExpiresAt: secret.previousWebhookSecretExpiresAt,
                email: context.viewer?.email,
                emailVerified: context.viewer?.verified,
                ledger: rows
            )
        )
    }

    /// `POST /v1/account/webhook-secret/rotate`: a new signing secret, shown once here and in `GET /v1/account`; the
    /// replaced one keeps signing every delivery beside it for 24 hours, so receivers can switch without a gap.
    @Sendable func rotateWebhookSecret(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        return try JSONResponse.make(WebhookSecretBody(try await self.operations.rotateWebhookSecret(accountID: accountID)))
    }

    /// One page of the ledger, newest first.
    struct LedgerPage: Encodable {
        let object = "list"
        let data: [Row]
        let hasMore: Bool
        /// Pass as `before` for the next (older) page.
        let nextBefore: Int64?

        enum CodingKeys: String, CodingKey {
            case object, data
            case hasMore = "has_more"
            case nextBefore = "next_before"
        }
    }

    /// `GET /v1/account/ledger?limit=&before=`: every money movement of the account, newest first, a page at a time.
    @Sendable func ledger(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        let query = request.uri.queryParameters
        let limit = try QueryParameter.integer(query["limit"], name: "limit", in: 1...100) ?? 20
        let before = try QueryParameter.integer(query["before"], name: "before", in: 1...Int64.max)
        // One row more than asked tells whether an older page exists without a second query.
        let entries = try await self.operations.ledger(accountID: accountID, limit: Int(limit) + 1, before: before)
        let page = entries.prefix(Int(limit))
        let more = entries.count > page.count
        return try JSONResponse.make(LedgerPage(data: page.map(Row.init), hasMore: more, nextBefore: more ? page.last?.seq : nil))
    }

    /// A list of the account's usage rows.
    struct UsageList: Encodable {
        let object = "list"
        let data: [UsageReport.DailyUsage]
    }

    /// `GET /v1/account/usage`: images, spend and refunds of the caller's account by day and model, newest day first.
    @Sendable func usage(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        return try JSONResponse.make(UsageList(data: try await self.operations.usage(accountID: accountID)))
    }
}
