import Billing
import Generation
import Hummingbird

/// `GET /v1/account`: balance and the latest ledger rows of the caller's account.
struct AccountController {
    let operations: Operations

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("account", use: self.show)
    }

    struct Body: Encodable {
        let accountID: String
        let name: String
        let balance: MicroUSD
        let held: MicroUSD
        let ledger: [Row]

        enum CodingKeys: String, CodingKey {
            case accountID = "account_id"
            case name
            case balance = "balance_usd"
            case held = "held_usd"
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
        return try JSONResponse.make(Body(accountID: account.id, name: account.name, balance: account.balance, held: account.held, ledger: rows))
    }
}
