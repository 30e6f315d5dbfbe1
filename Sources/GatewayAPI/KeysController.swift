import Accounts
import Billing
import Customers
import Hummingbird

/// `GET /v1/keys`, `POST /v1/keys` and `DELETE /v1/keys/{id}`: a signed-in person's own API keys. Session only (a
/// key cannot mint or revoke keys), and only once the email is verified. A new key's secret is in the answer that
/// created it and nowhere else.
struct KeysController {
    let operations: Operations

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("keys", use: self.list)
        group.post("keys", use: self.create)
        group.delete("keys/:id", use: self.revoke)
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
