import Customers
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import NIOCore
import WebFace

/// The pages' account forms: `/signup`, `/signin`, `POST /signout`, `/verify` (the mailed link),
/// `POST /verify/resend`, `/reset` and `/reset/confirm`. Plain HTML forms posted to this origin (checked, so
/// another site cannot sign a person in or out), answered with a page or a redirect; every step is a `Customers`
/// use case.
struct SignInController {
    let customers: Customers
    let web: WebController<GatewayRequestContext>
    let cookie: SessionCookie
    let sameOrigin: SameOriginCheck
    let trustedProxies: TrustedProxies

    func addRoutes(to router: Router<GatewayRequestContext>) {
        router.get("/signin") { request, _ in
            await self.signInPage(request, notice: request.uri.queryParameters["signed_out"] == nil ? nil : "You are signed out.")
        }
        router.post("/signin") { request, context in try await self.signIn(request, context) }
        router.get("/signup") { request, _ in await self.signUpPage(request) }
        router.post("/signup") { request, context in try await self.signUp(request, context) }
        router.post("/signout") { request, _ in try await self.signOut(request) }
        router.get("/verify") { request, _ in try await self.verify(request) }
        router.post("/verify/resend") { request, _ in try await self.resend(request) }
        router.get("/reset") { request, _ in self.web.page(await self.pages(request).resetRequest()) }
        router.post("/reset") { request, context in try await self.requestReset(request, context) }
        router.get("/reset/confirm") { request, _ in
            let token = request.uri.queryParameters["token"].map(String.init) ?? ""
            return self.web.page(await self.pages(request).resetConfirm(.init(token: token)))
        }
        router.post("/reset/confirm") { request, _ in try await self.resetPassword(request) }
    }

    /// The fields every form may post.
    struct Form: Decodable {
        var email: String?
        var password: String?
        var invite: String?
        var token: String?
    }

    func pages(_ request: Request) async -> WebPages { await self.web.pages(for: request) }

    func signInPage(_ request: Request, notice: String? = nil) async -> Response {
        let pages = await self.pages(request)
        if pages.viewer != nil { return Self.redirect("/account") }
        return self.web.page(pages.signIn(notice: notice))
    }

    func signUpPage(_ request: Request) async -> Response {
        let pages = await self.pages(request)
        if pages.viewer != nil { return Self.redirect("/account") }
        guard self.customers.signupAvailable else {
            return self.web.page(
                pages.authNotice(
                    "Sign-up is closed",
                    "This server does not take sign-ups: its operator creates accounts. Ask them for one, or for an API key.",
                    links: [("Sign in", "/signin")]
                ),
                status: .notFound
            )
        }
        return self.web.page(pages.signUp(inviteNeeded: self.customers.settings.signup == .invite))
    }

    func signIn(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let form = try await self.form(request)
        let email = form.email ?? ""
        do {
            let session = try await self.customers.signIn(
                email: email,
                password: form.password ?? "",
                address: self.client(request, context),
                replacing: SessionCookie.token(in: request)
            )
            var response = Self.redirect("/account")
            self.cookie.set(session, on: &response)
            return response
        } catch let error as CustomerError {
            let page = await self.pages(request).signIn(.init(error: error.message, email: email))
            return self.refused(page, error)
        }
    }

    func signUp(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let form = try await self.form(request)
        let email = form.email ?? ""
        do {
            let session = try await self.customers.signUp(
                email: email,
                password: form.password ?? "",
                invite: form.invite,
                address: self.client(request, context)
            )
            var response = Self.redirect("/account?welcome=1")
            self.cookie.set(session, on: &response)
            return response
        } catch let error as CustomerError {
            let page = await self.pages(request).signUp(
                .init(error: error.message, email: email, invite: form.invite ?? ""),
                inviteNeeded: self.customers.settings.signup == .invite
            )
            return self.refused(page, error)
        }
    }

    func signOut(_ request: Request) async throws -> Response {
        try self.sameOrigin.check(request)
        if let token = SessionCookie.token(in: request) { try await self.customers.signOut(session: token) }
        var response = Self.redirect("/signin?signed_out=1")
        self.cookie.clear(on: &response)
        return response
    }

    func verify(_ request: Request) async throws -> Response {
        let pages = await self.pages(request)
        do {
            try await self.customers.verify(token: request.uri.queryParameters["token"].map(String.init) ?? "")
        } catch let error as CustomerError {
            return self.web.page(pages.authNotice("Link not valid", error.message, links: [("Your account", "/account")]), status: .badRequest)
        }
        return self.web.page(
            pages.authNotice(
                "Email verified",
                "Your email is verified: you can create API keys and add credit.",
                links: [(pages.viewer == nil ? "Sign in" : "Your account", pages.viewer == nil ? "/signin" : "/account")]
            )
        )
    }

    func resend(_ request: Request) async throws -> Response {
        try self.sameOrigin.check(request)
        guard let token = SessionCookie.token(in: request), let viewer = try await self.customers.viewer(session: token) else {
            return Self.redirect("/signin")
        }
        do {
            try await self.customers.resendVerification(viewer)
        } catch let error as CustomerError {
            return self.web.page(
                await self.pages(request).authNotice("Mail not sent", error.message, links: [("Your account", "/account")]),
                status: .tooManyRequests
            )
        }
        return Self.redirect("/account?sent=1")
    }

    func requestReset(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let form = try await self.form(request)
        let pages = await self.pages(request)
        do {
            try await self.customers.requestReset(email: form.email ?? "", address: self.client(request, context))
        } catch let error as CustomerError where error.code != .mailFailed {
            return self.refused(pages.resetRequest(.init(error: error.message, email: form.email ?? "")), error)
        }
        // The same answer whether the email has an account or not (and whether its mail left): nothing to learn here.
        return self.web.page(
            pages.resetRequest(notice: "If this email has an account, a mail with a link is on its way. The link works for an hour.")
        )
    }

    func resetPassword(_ request: Request) async throws -> Response {
        let form = try await self.form(request)
        let pages = await self.pages(request)
        do {
            try await self.customers.resetPassword(token: form.token ?? "", password: form.password ?? "")
        } catch let error as CustomerError {
            return self.refused(pages.resetConfirm(.init(error: error.message, token: form.token)), error)
        }
        var response = self.web.page(pages.signIn(notice: "Your password is changed, and every session is signed out. Sign in with the new one."))
        self.cookie.clear(on: &response)
        return response
    }

    /// A form's fields, after the same-origin check (a login form can be forged too: it would sign a person in to
    /// someone else's account).
    func form(_ request: Request) async throws -> Form {
        try self.sameOrigin.check(request)
        let body = try await request.body.collect(upTo: 16 * 1024)
        do {
            return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
        } catch {
            throw APIError(.invalid("body", "The form could not be read."))
        }
    }

    /// The form again with its message, under the status that says what went wrong.
    func refused(_ html: String, _ error: CustomerError) -> Response {
        var response = self.web.page(html, status: Self.status(error.code))
        if let wait = error.retryAfter { response.headers[.retryAfter] = String(wait) }
        return response
    }

    static func status(_ code: CustomerError.Code) -> HTTPResponse.Status {
        switch code {
        case .badCredentials: .unauthorized
        case .emailTaken: .conflict
        case .tooMany: .tooManyRequests
        case .disabled, .signupClosed, .badInvite: .forbidden
        case .mailFailed: .serviceUnavailable
        default: .badRequest
        }
    }

    /// 303: the browser follows with a GET, so a reload does not post the form again.
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// The client's address, through the proxies the operator trusts (for the per-address attempt limits).
    func client(_ request: Request, _ context: GatewayRequestContext) -> String {
        self.trustedProxies.client(peer: context.peerAddress, forwardedFor: request.headers[values: .xForwardedFor]) ?? "unknown"
    }
}
