import Billing
import Generation
import Hummingbird
import Storage

/// `GET /v1/account`: balance and the latest ledger rows of the caller's account.
struct AccountController {
    let operations: Operations

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("account", use: self.show)
        group.post("account/webhook-secret/rotate", use: self.rotateWebhookSecret)
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
        let ledger: [Row]

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id"
            case name
            case balance = "balance_usd"
            case held = "held_usd"
            case webhookSecret = "webhook_secret"
            case previousWebhookSecretExpiresAt = "previous_webhook_secret_expires_at"
            case ledger
        }
    }

    struct Row: Encodable {
        let kind: String
        let amount: MicroUSD
        let balanceAfter: MicroUSD
        let generationID: String?
        let note: String
        let createdAt: String?

        enum CodingKeys: String, CodingKey {
            case kind
            case amount = "amount_usd"
            case balanceAfter = "balance_after_usd"
            case generationID = "generation_id"
            case note
            case createdAt = "created_at"
        }
    }

    @Sendable func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        guard let (account, entries) = try await self.operations.statement(accountID: identity.accountID, rows: 20) else {
            throw APIError.unauthorized
        }
        let rows = entries.map {
            Row(
                kind: $0.kind.rawValue,
                amount: $0.amount,
                balanceAfter: $0.balanceAfter,
                generationID: $0.generationID,
                note: $0.note,
                createdAt: APITime.string($0.createdAt)
            )
        }
        let secret = WebhookSecretBody(try await self.operations.webhookSecret(accountID: account.id))
        return try JSONResponse.make(
            Body(
                accountID: account.id,
                name: account.name,
                balance: account.balance,
                held: account.held,
                webhookSecret: secret.webhookSecret,
                previousWebhookSecretExpiresAt: secret.previousWebhookSecretExpiresAt,
                ledger: rows
            )
        )
    }

    /// `POST /v1/account/webhook-secret/rotate`: a new signing secret, shown once here and in `GET /v1/account`; the
    /// replaced one keeps signing every delivery beside it for 24 hours, so receivers can switch without a gap.
    @Sendable func rotateWebhookSecret(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let identity = try context.requireIdentity()
        return try JSONResponse.make(WebhookSecretBody(try await self.operations.rotateWebhookSecret(accountID: identity.accountID)))
    }
}
