import Customers
import Essentials
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatewayAPI

/// The CSRF decision (which state-changing requests a session cookie may authorize) and the session cookie's
/// attributes, through a router with the check in front of one route: no database needed.
@Suite struct SameOriginCheckTests {
    static func router(publicURL: String) -> Router<BasicRequestContext> {
        let check = SameOriginCheck(publicURL: publicURL)
        let cookie = SessionCookie(publicURL: publicURL)
        let router = Router()
        router.post("/change") { request, _ -> Response in
            do {
                try check.check(request)
            } catch {
                return Response(status: .forbidden)
            }
            var response = Response(status: .ok)
            cookie.set(.init(token: "t0ken", expiresAt: Timestamp.nowMillis() + 60_000, userID: "u"), on: &response)
            return response
        }
        return router
    }

    @Test(arguments: [
        ([("Sec-Fetch-Site", "same-origin")], true),
        ([("Sec-Fetch-Site", "same-site")], false),
        ([("Sec-Fetch-Site", "cross-site")], false),
        ([("Sec-Fetch-Site", "none")], false),
        // Sec-Fetch-Site decides when present, whatever Origin says.
        ([("Sec-Fetch-Site", "cross-site"), ("Origin", "https://gate.example")], false),
        ([("Origin", "https://gate.example")], true),
        ([("Origin", "HTTPS://GATE.EXAMPLE")], true),
        ([("Origin", "https://gate.example.evil")], false),
        ([("Origin", "http://gate.example")], false),
        ([("Origin", "null")], false),
        ([], false),
    ])
    func aChangeWithTheCookieMustComeFromTheSitesOwnPages(headers: [(String, String)], allowed: Bool) async throws {
        try await Application(router: Self.router(publicURL: "https://gate.example/")).test(.router) { client in
            var fields = HTTPFields()
            for (name, value) in headers { fields[HTTPField.Name(name)!] = value }
            let status = try await client.execute(uri: "/change", method: .post, headers: fields) { $0.status }
            #expect(status == (allowed ? .ok : .forbidden), "\(headers)")
        }
    }

    @Test func theCookieIsHttpOnlyLaxAndSecureOnlyBehindHTTPS() async throws {
        for (publicURL, secure) in [("https://gate.example", true), ("http://127.0.0.1:8080", false)] {
            try await Application(router: Self.router(publicURL: publicURL)).test(.router) { client in
                let origin = publicURL
                let cookie = try await client.execute(uri: "/change", method: .post, headers: [.origin: origin]) { $0.headers[.setCookie] }
                let attributes = try #require(cookie).lowercased()
                #expect(attributes.hasPrefix("imagegate_session=t0ken"))
                #expect(attributes.contains("httponly") && attributes.contains("samesite=lax") && attributes.contains("path=/"))
                #expect(attributes.contains("secure") == secure, "\(attributes)")
            }
        }
    }
}
