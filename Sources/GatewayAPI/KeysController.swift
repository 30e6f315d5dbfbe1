import Accounts
import Billing
import Customers
import Hummingbird

/// `GET /v1/keys`, `POST /v1/keys`, `PATCH /v1/keys/{id}` and `DELETE /v1/keys/{id}`: a signed-in person's own API
/// keys. Session only (a key cannot mint, edit or revoke keys), and only once the email is verified. A new key's
/// secret is in the answer that created it and nowhere else.
struct KeysController {
    let operations: Operations

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("keys", use: self.list)
        group.post("keys", use: self.create)
        group.patch("keys/:id", use: self.update)
        group.delete("keys/:id", use: self.revoke)
    }

    /// A change of a key's label or daily limit: a field left out stays; `"daily_limit_usd": null` removes the limit.
    struct UpdateKey: Decodable {
        let label: String?
        let dailyLimitUSD: String??
        enum CodingKeys: String, CodingKey {
            case label
            case dailyLimitUSD = "daily_limit_usd"
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.label = try container.decodeIfPresent(String.self, forKey: .label)
            self.dailyLimitUSD = try container.decodeChange(String.self, forKey: .dailyLimitUSD)
        }
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let viewer = try context.requireViewer()
        let keys = try await self.operations.keys(accountID: viewer.accountID)
        return try JSONResponse.make(AdminController.List(data: keys.map { AdminController.KeyBody(info: $0, secret: nil) }))
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let viewer = try context.requireViewer()
        guard viewer.verified else { throw APIError.emailNotVerified }
        let body = try await AdminController.decode(AdminController.CreateKey.self, request, context)
        let limits = try AdminController.limits(of: body)
        let (info, secret) = try await self.operations.createKey(
            accountID: viewer.accountID,
            label: try AdminController.text(body.label, param: "label") ?? "",
            limits: limits
        )
        return try JSONResponse.make(AdminController.KeyBody(info: info, secret: secret), status: .created)
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let viewer = try context.requireViewer()
        guard viewer.verified else { throw APIError.emailNotVerified }
        let id = context.parameters.get("id") ?? ""
        let body = try await AdminController.decode(UpdateKey.self, request, context)
        let label = try body.label.map { try AdminController.text($0, param: "label") ?? "" }
        let dailyLimit: MicroUSD?? = try body.dailyLimitUSD.map { try $0.map { try AdminController.amount($0, param: "daily_limit_usd") } }
        guard let updated = try await self.operations.updateKey(id: id, accountID: viewer.accountID, label: label, dailyLimit: dailyLimit) else {
            throw APIError.notFound("This account has no live key with id '\(id)'.")
        }
        return try JSONResponse.make(AdminController.KeyBody(info: updated, secret: nil))
    }

    @Sendable func revoke(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let viewer = try context.requireViewer()
        let id = context.parameters.get("id") ?? ""
        guard let revoked = try await self.operations.revokeKey(id: id, accountID: viewer.accountID) else {
            throw APIError.notFound("This account has no live key with id '\(id)'.")
        }
        return try JSONResponse.make(AdminController.KeyBody(info: revoked, secret: nil))
    }
}

extension APIError {
    /// A signed-up person whose email is not verified yet asked for a key or a payment.
    static let emailNotVerified = APIError(
        status: .forbidden,
        code: "email_not_verified",
        message: "Verify your email first: follow the link we mailed you (the account page can send it again)."
    )
}
