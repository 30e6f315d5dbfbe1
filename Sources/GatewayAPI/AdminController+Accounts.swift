import Accounts
import Billing
import Essentials
import Hummingbird
import Payments

/// The operator's hand on customers' money: disabling an account, and the card top-up orders.
extension AdminController {
    @Sendable func disable(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try await self.setDisabled(true, context)
    }

    @Sendable func enable(_ request: Request, context: AdminRequestContext) async throws -> Response {
        try await self.setDisabled(false, context)
    }

    func setDisabled(_ disabled: Bool, _ context: AdminRequestContext) async throws -> Response {
        let name = context.parameters.get("name") ?? ""
        guard let account = try await self.operations.setDisabled(disabled, name: name) else {
            throw APIError.notFound("No account named '\(name)'.")
        }
        return try JSONResponse.make(AccountBody(account: account))
    }

    /// Card top-up orders, newest first, with what happened to each (flags: refunds, disputes, mismatches).
    @Sendable func payments(_ request: Request, context: AdminRequestContext) async throws -> Response {
        let orders = try await self.operations.payments(limit: 500)
        return try JSONResponse.make(List(data: orders.map(PaymentBody.init)))
    }

    /// A card top-up order as the operator sees it.
    struct PaymentBody: Encodable {
        let orderId: String
        let accountId: String
        let status: String
        let amountUsd: MicroUSD
        let paymentReference: String?
        let takenBackUsd: MicroUSD
        let flag: String?
        let createdAt: String

        init(_ order: PaymentOrder) {
            self.orderId = order.id
            self.accountId = order.accountID
            self.status = order.status.rawValue
            self.amountUsd = order.amount
            self.paymentReference = order.paymentReference
            self.takenBackUsd = order.takenBack
            self.flag = order.flag
            self.createdAt = Timestamp.iso8601(order.createdAt)
        }
    }
}
