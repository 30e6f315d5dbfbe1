import Customers
import Essentials
import Hummingbird

/// The session cookie: `HttpOnly` (scripts never read it), `SameSite=Lax` (other sites' forms and fetches do not
/// carry it), `Secure` when the public URL is https, on every path. Its value is the session's token; the database
/// holds only its digest.
struct SessionCookie: Sendable {
    static let name = "imagegate_session"
    /// Whether the cookie is `Secure` (the server's public URL is https).
    let secure: Bool

    init(publicURL: String) {
        self.secure = publicURL.lowercased().hasPrefix("https://")
    }

    /// The request's session token, if it carries one.
    static func token(in request: Request) -> String? {
        guard let value = request.cookies[Self.name]?.value, !value.isEmpty else { return nil }
        return value
    }

    /// Sets the cookie of a session just started.
    func set(_ session: SignedIn, on response: inout Response) {
        let seconds = max(0, Int((session.expiresAt - Timestamp.nowMillis()) / 1000))
        response.setCookie(
            Cookie(name: Self.name, value: session.token, maxAge: seconds, path: "/", secure: self.secure, httpOnly: true, sameSite: .lax)
        )
    }

    /// Removes the cookie (sign-out, or a session the server no longer knows).
    func clear(on response: inout Response) {
        response.setCookie(Cookie(name: Self.name, value: "", maxAge: 0, path: "/", secure: self.secure, httpOnly: true, sameSite: .lax))
    }
}
