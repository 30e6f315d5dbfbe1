import HTTPTypes
import Hummingbird
import WebFace

/// Cross-site request forgery defence for everything a session cookie authorizes and for the sign-in forms: a
/// state-changing request must come from this site's own pages. Browsers say where a request comes from in
/// `Sec-Fetch-Site` (it must be `same-origin`); a browser that does not send it must send an `Origin` equal to
/// the server's. A request with neither is refused: only browsers carry cookies on their own, and every current
/// one sends one of the two. (The pages' `Referrer-Policy: no-referrer` makes a same-origin `Origin` read `null`,
/// which is why `Sec-Fetch-Site` comes first.) API keys are not cookies, so requests with a key need no check.
struct SameOriginCheck: Sendable {
    /// The origins this server's pages are served from: the public URL's, and the `Host` the request names.
    let publicOrigin: String?

    init(publicURL: String) {
        self.publicOrigin = PageHeaders.origin(publicURL)?.lowercased()
    }

    static let refusal = APIError(
        status: .forbidden,
        code: "cross_site_request",
        message: "This request did not come from this site's own pages, so its session cookie is not accepted. Use the site's pages, or an API key."
    )

    /// Throws `refusal` unless the request is a same-origin one.
    func check(_ request: Request) throws {
        if let site = request.headers[.secFetchSite] {
            guard site == "same-origin" else { throw Self.refusal }
            return
        }
        guard let origin = request.headers[.origin]?.lowercased(), origin != "null" else { throw Self.refusal }
        let own = [
            self.publicOrigin, request.head.authority.map { "http://\($0)".lowercased() },
            request.head.authority.map { "https://\($0)".lowercased() },
        ]
        guard own.contains(origin) else { throw Self.refusal }
    }
}

extension HTTPField.Name {
    /// `Sec-Fetch-Site`: where a browser's request comes from (`same-origin`, `same-site`, `cross-site`, `none`).
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
}
