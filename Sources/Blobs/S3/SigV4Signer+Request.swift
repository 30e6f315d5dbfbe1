import Crypto
import Essentials
import Foundation

/// What the signer takes and gives: the request as it sees it, and the signatures with what went into them.
extension SigV4Signer {
    /// An HTTP request as the signer sees it: method, the path and query as they go on the wire, and headers.
    package struct Request: Sendable {
        package var method: String
        /// The path as sent (percent-encoded), starting with `/`.
        package var path: String
        /// The query as sent, without `?` (percent-encoded `name=value` pairs joined by `&`), or empty.
        package var query: String
        /// Headers in the order given; a name may repeat (the values are then joined with `,`, in that order).
        package var headers: [(name: String, value: String)]
        /// `scheme://authority` when the request was made from a URL: the presigned URL starts with it, and the
        /// `Host` header is taken from it when `headers` has none.
        package var origin: String?

        package init(method: String, path: String, query: String = "", headers: [(name: String, value: String)] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.origin = nil
        }

        /// A request for an absolute URL (`http://host:port/path?query`), the path and query taken as they are.
        package init(method: String, url: String, headers: [(name: String, value: String)] = []) throws(SigV4Error) {
            guard let schemeEnd = url.range(of: "://") else { throw SigV4Error.invalidURL(url) }
            let afterScheme = url[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? afterScheme.endIndex
            guard authorityEnd > afterScheme.startIndex else { throw SigV4Error.invalidURL(url) }
            var rest = url[authorityEnd...]
            if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
            let queryStart = rest.firstIndex(of: "?")
            let path = String(rest[..<(queryStart ?? rest.endIndex)])
            self.init(
                method: method,
                path: path,
                query: queryStart.map { String(rest[rest.index(after: $0)...]) } ?? "",
                headers: headers
            )
            self.origin = String(url[..<authorityEnd])
        }

        /// The `Host` header a client sends for `origin`: lower-cased, without user info, and without the port when
        /// it is the scheme's default (what an HTTP client puts on the wire, so what the server checks).
        var hostFromOrigin: String? {
            guard let origin = self.origin, let schemeEnd = origin.range(of: "://") else { return nil }
            let scheme = origin[..<schemeEnd.lowerBound].lowercased()
            var authority = origin[schemeEnd.upperBound...]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            var host = String(authority)
            if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
                let port = authority[authority.index(after: colon)...]
                host = String(authority[..<colon])
                if !((scheme == "http" && port == "80") || (scheme == "https" && port == "443") || port.isEmpty) {
                    host += ":\(port)"
                }
            }
            return host.lowercased()
        }
    }

    /// What was signed and how, for a test (or a puzzled operator) to compare with the server's own.
    package struct Details: Sendable, Equatable {
        package let canonicalRequest: String
        package let stringToSign: String
        /// The names of the signed headers, lower-cased, sorted, joined by `;`.
        package let signedHeaders: String
        /// The signature, lower-case hex.
        package let signature: String
    }

    /// A request signed in its headers.
    package struct HeaderSignature: Sendable {
        /// The headers to set on the request (replacing any of the same name): `X-Amz-Date`, `X-Amz-Security-Token`
        /// (with a session token), `X-Amz-Content-SHA256` (when asked for) and `Authorization`.
        package let headers: [(name: String, value: String)]
        /// The `Authorization` header's value.
        package let authorization: String
        package let details: Details
    }

    /// A presigned request.
    package struct Presigned: Sendable {
        /// The query to send, the request's own parameters first and the signature's after, `X-Amz-Signature` last.
        package let query: String
        /// `origin + path + "?" + query`, when the request was made from a URL.
        package let url: String?
        package let details: Details
    }
}
