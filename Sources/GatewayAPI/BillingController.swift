import Billing
import Customers
import Essentials
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import NIOCore
import Payments

/// Card top-ups: `POST /v1/billing/checkout` opens a Stripe Checkout page for an amount (with an API key),
/// `GET /v1/billing/checkout/{id}` follows the order, and `POST /webhooks/stripe` takes Stripe's signed events
/// (no key: the signature on the raw body is the proof). Every call goes through `TopUps`.
struct BillingController {
    /// Nil when the server has no Stripe settings: every call answers 404 `payments_not_configured`.
    let topUps: TopUps?
    let body: BodyLimits

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.post("billing/checkout", use: self.checkout)
        group.get("billing/checkout/:id", use: self.show)
        group.get("billing/orders", use: self.list)
    }

    func addWebhook(to router: Router<GatewayRequestContext>) {
        router.post("/webhooks/stripe", use: self.webhook)
    }

    struct CheckoutRequest: Decodable {
        let amountUSD: String
        enum CodingKeys: String, CodingKey { case amountUSD = "amount_usd" }
    }

    /// An order as its owner sees it.
    struct OrderBody: Encodable {
        let orderId: String
        let status: String
        let amountUsd: MicroUSD
        let checkoutUrl: String?
        let createdAt: String
        /// When the payment was credited: the receipt's date.
        let paidAt: String?
        /// Stripe's payment (`pi_…`), printed on the receipt.
        let paymentReference: String?
        /// What refunds and disputes returned to the card (the balance gave back what was unspent of it).
        let takenBackUsd: MicroUSD

        init(_ order: PaymentOrder) {
            self.paymentReference = order.paymentReference
            self.takenBackUsd = order.takenBack
            self.orderId = order.id
            self.status = order.status.rawValue
            self.amountUsd = order.amount
            self.checkoutUrl = order.status == .pending ? order.checkoutURL : nil
            self.createdAt = Timestamp.iso8601(order.createdAt)
            self.paidAt = order.paidAt.map(Timestamp.iso8601)
        }
    }

    @Sendable func checkout(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        let bytes = try await GenerationRequest.collect(request, limit: self.body.withoutImages.maxBytes, deadline: self.body.deadline)
        let asked: CheckoutRequest
        do {
            asked = try JSONDecoder().decode(CheckoutRequest.self, from: Data(bytes))
        } catch DecodingError.keyNotFound {
            throw APIError(.invalid("amount_usd", "amount_usd is required, e.g. \"10.00\"."))
        } catch {
            throw APIError(.invalid("amount_usd", "The body must be JSON with amount_usd as a decimal string, e.g. {\"amount_usd\": \"10.00\"}."))
        }
        guard let amount = MicroUSD(usd: asked.amountUSD), amount.micros > 0 else {
            throw APIError(.invalid("amount_usd", "amount_usd must be a positive decimal string, e.g. \"10.00\"."))
        }
        let topUps = try self.configured()
        // A person who signed up adds credit once their email is verified (a key's account was made by the operator).
        if let viewer = context.viewer, !viewer.verified { throw APIError.emailNotVerified }
        let order: PaymentOrder
        do {
            order = try await topUps.checkout(accountID: accountID, amount: amount)
        } catch {
            throw Self.apiError(error)
        }
        return try JSONResponse.make(OrderBody(order), status: .created)
    }

    @Sendable func show(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        let topUps = try self.configured()
        let order: PaymentOrder
        do {
            order = try await topUps.order(id: context.parameters.get("id") ?? "", accountID: accountID)
        } catch {
            throw Self.apiError(error)
        }
        return try JSONResponse.make(OrderBody(order))
    }

    /// `GET /v1/billing/orders`: the account's card top-ups, newest first (at most 100).
    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let accountID = try context.requireAccountID()
        let topUps = try self.configured()
        return try JSONResponse.make(OrderList(data: try await topUps.orders(accountID: accountID, limit: 100).map(OrderBody.init)))
    }

    /// A list of orders.
    struct OrderList: Encodable {
        let object = "list"
        let data: [OrderBody]
    }

    @Sendable func webhook(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        // Malformed before anything else: without a signature nothing here could be Stripe's.
        guard let signature = request.headers[HTTPField.Name("Stripe-Signature")!] else {
            throw APIError(
                status: .badRequest,
                code: PaymentError.Code.badSignature.rawValue,
                message: "Stripe-Signature is missing.",
                param: "Stripe-Signature"
            )
        }
        let topUps = try self.configured()
        let bytes = try await GenerationRequest.collect(request, limit: self.body.withoutImages.maxBytes, deadline: self.body.deadline)
        let outcome: TopUps.Outcome
        do {
            outcome = try await topUps.receive(bytes, signature: signature)
        } catch {
            throw Self.apiError(error)
        }
        return try JSONResponse.make(["received": outcome.rawValue])
    }

    func configured() throws -> TopUps {
        guard let topUps = self.topUps, topUps.isConfigured else {
            // A 4xx, as the admin API's when it is off: the feature does not exist on this server.
            throw APIError(
                status: .notFound,
                code: PaymentError.Code.notConfigured.rawValue,
                message: "Card payments are not set up on this server; ask its operator to add credit."
            )
        }
        return topUps
    }

    static func apiError(_ error: PaymentError) -> APIError {
        let status: HTTPResponse.Status =
            switch error.code {
            case .notConfigured: .notFound
            case .invalidAmount, .badSignature, .badEvent: .badRequest
            case .notYet: .conflict
            case .notFound: .notFound
            default: .badGateway
            }
        let param: String? = error.code == .invalidAmount ? "amount_usd" : nil
        return APIError(status: status, code: error.code.rawValue, message: error.message, param: param)
    }
}
