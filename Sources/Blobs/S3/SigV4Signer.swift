import Crypto
import Essentials
import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), written from AWS's specification because no AWS SDK for Swift can
/// be had here: the canonical request, the string to sign, the signing key and the signature, for requests signed in
/// their headers (`Authorization`) and for presigned URLs (the signature in the query).
///
/// The clock is never read here: the caller passes the date, so tests sign with AWS's fixed date and compare with
/// AWS's published answers and with botocore's signer (`Tests/BlobsTests/SigV4*`, `e2e/test_sigv4_oracle.py`).
public struct SigV4Signer: Sendable {
    /// The key pair that signs, and the session token that temporary credentials (AWS STS) come with.
    public struct Credentials: Sendable, Equatable {
        public var accessKeyID: String
        public var secretAccessKey: String
        public var sessionToken: String?

        public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// How the request's path becomes the canonical URI. S3 signs the path exactly as it is sent (an object named
    /// `a//b/../c` is that object, not `a/c`); every other service first removes `.`/`..` and empty segments and
    /// then percent-encodes the path as given, so a path that was already encoded for the wire ends up encoded twice.
    public struct PathRules: Sendable, Equatable {
        /// Remove `.` and `..` segments and repeated slashes (RFC 3986 §5.2.4, as AWS applies it).
        public var normalizes: Bool
        /// Percent-encode the path as given (AWS calls this double encoding: the path is already encoded once).
        public var encodesAgain: Bool

        public init(normalizes: Bool, encodesAgain: Bool) {
            self.normalizes = normalizes
            self.encodesAgain = encodesAgain
        }

        /// S3: the path as sent.
        public static let s3 = PathRules(normalizes: false, encodesAgain: false)
        /// Every other service.
        public static let standard = PathRules(normalizes: true, encodesAgain: true)
    }

    /// An HTTP request as the signer sees it: method, the path and query as they go on the wire, and headers.
    public struct Request: Sendable {
        public var method: String
        /// The path as sent (percent-encoded), starting with `/`.
        public var path: String
        /// The query as sent, without `?` (percent-encoded `name=value` pairs joined by `&`), or empty.
        public var query: String
        /// Headers in the order given; a name may repeat (the values are then joined with `,`, in that order).
        public var headers: [(name: String, value: String)]
        /// `scheme://authority` when the request was made from a URL: the presigned URL starts with it, and the
        /// `Host` header is taken from it when `headers` has none.
        public var origin: String?

        public init(method: String, path: String, query: String = "", headers: [(name: String, value: String)] = []) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
            self.origin = nil
        }

        /// A request for an absolute URL (`http://host:port/path?query`), the path and query taken as they are.
        public init(method: String, url: String, headers: [(name: String, value: String)] = []) throws(SigV4Error) {
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
    public struct Details: Sendable, Equatable {
        public let canonicalRequest: String
        public let stringToSign: String
        /// The names of the signed headers, lower-cased, sorted, joined by `;`.
        public let signedHeaders: String
        /// The signature, lower-case hex.
        public let signature: String
    }

    /// A request signed in its headers.
    public struct HeaderSignature: Sendable {
        /// The headers to set on the request (replacing any of the same name): `X-Amz-Date`, `X-Amz-Security-Token`
        /// (with a session token), `X-Amz-Content-SHA256` (when asked for) and `Authorization`.
        public let headers: [(name: String, value: String)]
        /// The `Authorization` header's value.
        public let authorization: String
        public let details: Details
    }

    /// A presigned request.
    public struct Presigned: Sendable {
        /// The query to send, the request's own parameters first and the signature's after, `X-Amz-Signature` last.
        public let query: String
        /// `origin + path + "?" + query`, when the request was made from a URL.
        public let url: String?
        public let details: Details
    }

    /// The payload hash of a presigned URL and of any body sent without hashing it first.
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of no bytes.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Headers never signed. Proxies and HTTP clients add, change or drop them on the way (`User-Agent`, hop-by-hop
    /// headers), and a signature over them would break in flight; botocore leaves out the same ones.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade", "user-agent", "x-amzn-trace-id", "authorization",
    ]

    public var credentials: Credentials
    public var region: String
    public var service: String
    public var pathRules: PathRules
    /// Whether the session token is part of what is signed (most services, S3 among them) or only added after
    /// signing (a few older services; AWS's suite has a case of each).
    public var signsSessionToken: Bool

    /// - Parameter pathRules: how the path is canonicalized; by default `.s3` for the service `s3`, else `.standard`.
    public init(credentials: Credentials, region: String, service: String, pathRules: PathRules? = nil, signsSessionToken: Bool = true) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathRules = pathRules ?? (service == "s3" ? .s3 : .standard)
        self.signsSessionToken = signsSessionToken
    }

    // MARK: Signing

    /// Signs `request` in its headers.
    ///
    /// - Parameters:
    ///   - payloadHash: the body's SHA-256 in lower-case hex (`SigV4Signer.sha256Hex`), or `unsignedPayload`. A
    ///     request that already carries `X-Amz-Content-SHA256` is signed with that header's value, as AWS does.
    ///   - sendsPayloadHash: also send the hash as `X-Amz-Content-SHA256` (and sign it): S3 requires it.
    ///   - date: the signing time (a server refuses a request whose time is more than 15 minutes away from its own).
    public func signHeaders(_ request: Request, payloadHash: String, sendsPayloadHash: Bool = false, date: Date) -> HeaderSignature {
        let stamp = Self.timestamp(date)
        var added: [(name: String, value: String)] = [("X-Amz-Date", stamp)]
        let token = self.credentials.sessionToken
        if let token, self.signsSessionToken { added.append(("X-Amz-Security-Token", token)) }
        if sendsPayloadHash { added.append(("X-Amz-Content-SHA256", payloadHash)) }
        let replaced = Set(added.map { $0.name.lowercased() } + ["authorization"])
        let headers = request.headers.filter { !replaced.contains($0.name.lowercased()) } + added

        let hash =
            sendsPayloadHash ? payloadHash : headers.last(where: { $0.name.lowercased() == "x-amz-content-sha256" })?.value ?? payloadHash
        let details = self.sign(request, path: request.path, query: Self.pairs(request.query), headers: headers, payloadHash: hash, stamp: stamp)
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(self.credentials.accessKeyID)/\(self.scope(stamp)), SignedHeaders=\(details.signedHeaders), Signature=\(details.signature)"
        added.append(("Authorization", authorization))
        if let token, !self.signsSessionToken { added.append(("X-Amz-Security-Token", token)) }
        return HeaderSignature(headers: added, authorization: authorization, details: details)
    }

    /// Presigns `request`: the signature goes in the query, so a plain GET of the URL (a browser, `curl`) is
    /// authorized until `expires` seconds after `date`.
    ///
    /// - Parameter payloadHash: `unsignedPayload` for S3 (a link's body is unknown when it is made); other services
    ///   sign the body's hash.
    public func presign(_ request: Request, expires: Int, date: Date, payloadHash: String = unsignedPayload) -> Presigned {
        let stamp = Self.timestamp(date)
        let headers = request.headers
        let signedHeaders = self.canonicalHeaders(self.headersToSign(headers, request: request)).names
        // The order botocore writes them in, so its URLs and these can be compared as strings.
        var parameters: [(name: [UInt8], value: [UInt8])] = [
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"), ("X-Amz-Credential", "\(self.credentials.accessKeyID)/\(self.scope(stamp))"),
            ("X-Amz-Date", stamp), ("X-Amz-Expires", String(expires)), ("X-Amz-SignedHeaders", signedHeaders),
        ].map { (Array($0.0.utf8), Array($0.1.utf8)) }
        if let token = self.credentials.sessionToken, self.signsSessionToken {
            parameters.append((Array("X-Amz-Security-Token".utf8), Array(token.utf8)))
        }
        let query = Self.pairs(request.query) + parameters
        let details = self.sign(request, path: request.path, query: query, headers: headers, payloadHash: payloadHash, stamp: stamp)
        var sent = query
        if let token = self.credentials.sessionToken, !self.signsSessionToken { sent.append((Array("X-Amz-Security-Token".utf8), Array(token.utf8))) }
        sent.append((Array("X-Amz-Signature".utf8), Array(details.signature.utf8)))
        let queryString = sent.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
        return Presigned(query: queryString, url: request.origin.map { "\($0)\(request.path)?\(queryString)" }, details: details)
    }

    // MARK: The steps, in the specification's order

    /// Canonical request → string to sign → signature.
    func sign(
        _ request: Request,
        path: String,
        query: [(name: [UInt8], value: [UInt8])],
        headers: [(name: String, value: String)],
        payloadHash: String,
        stamp: String
    ) -> Details {
        let canonical = self.canonicalHeaders(self.headersToSign(headers, request: request))
        let canonicalRequest = [
            request.method.uppercased(), self.canonicalURI(path), Self.canonicalQuery(query), canonical.block + "\n", canonical.names, payloadHash,
        ].joined(separator: "\n")
        let stringToSign = ["AWS4-HMAC-SHA256", stamp, self.scope(stamp), Self.sha256Hex(Array(canonicalRequest.utf8))].joined(separator: "\n")
        let signature = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: self.signingKey(day: String(stamp.prefix(8))))
        return Details(
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signedHeaders: canonical.names,
            signature: Hex.string(signature)
        )
    }

    /// `day/region/service/aws4_request`.
    func scope(_ stamp: String) -> String { "\(stamp.prefix(8))/\(self.region)/\(self.service)/aws4_request" }

    /// The key derived from the secret for one day, region and service: only it (never the secret) signs.
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(self.credentials.secretAccessKey)".utf8))
        for part in [day, self.region, self.service, "aws4_request"] {
            key = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key))
        }
        return key
    }

    /// The path per `pathRules`; an empty path is `/`.
    func canonicalURI(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if self.pathRules.normalizes { path = Self.removeDotSegments(path) }
        return self.pathRules.encodesAgain ? Self.encode(Array(path.utf8), keepingSlashes: true) : path
    }

    /// The headers that are signed: all but `unsignedHeaders`, and `Host` from the URL when none is given (the
    /// HTTP client sends one; the server checks it).
    func headersToSign(_ headers: [(name: String, value: String)], request: Request) -> [(name: String, value: String)] {
        var signed = headers.filter { !Self.unsignedHeaders.contains($0.name.lowercased()) }
        if !signed.contains(where: { $0.name.lowercased() == "host" }), let host = request.hostFromOrigin {
            signed.append(("host", host))
        }
        return signed
    }

    /// `name:value` lines sorted by lower-cased name, repeated names joined with `,` in their order, each value with
    /// its spaces trimmed and runs of spaces made one; and the names joined by `;`.
    func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (block: String, names: String) {
        var values: [String: [String]] = [:]
        for header in headers { values[header.name.lowercased(), default: []].append(Self.trimAll(header.value)) }
        let names = values.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return (names.map { "\($0):\(values[$0]!.joined(separator: ","))" }.joined(separator: "\n"), names.joined(separator: ";"))
    }

    /// Pairs encoded per AWS and sorted by name, then value (repeated names are all kept).
    static func canonicalQuery(_ pairs: [(name: [UInt8], value: [UInt8])]) -> String {
        pairs.map { (name: Self.encode($0.name), value: Self.encode($0.value)) }
            .sorted { ($0.name, $0.value) < ($1.name, $1.value) }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
    }

    // MARK: Encoding

    /// The query's `name=value` pairs, percent-decoded to bytes (so that they can be encoded again by AWS's rule,
    /// whatever encoding the caller used). A pair without `=` has an empty value; empty pieces are skipped.
    static func pairs(_ query: String) -> [(name: [UInt8], value: [UInt8])] {
        query.split(separator: "&").map { piece in
            let parts = piece.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (Self.decode(parts[0]), parts.count > 1 ? Self.decode(parts[1]) : [])
        }
    }

    /// `%XX` to its byte; anything else (`+` included, which AWS does not read as a space) as it is.
    static func decode(_ text: Substring) -> [UInt8] {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = Self.hexValue(bytes[index + 1]),
                let low = Self.hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    /// AWS's URI encoding: `A-Z a-z 0-9 - _ . ~` as they are, every other byte as `%XX` in upper-case hex (a space is
    /// `%20`, never `+`); `/` kept in paths.
    static func encode(_ bytes: [UInt8], keepingSlashes: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepingSlashes:
                out.append(byte)
            default:
                out.append(contentsOf: [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `encode` for text.
    public static func encode(_ text: String, keepingSlashes: Bool = false) -> String {
        Self.encode(Array(text.utf8), keepingSlashes: keepingSlashes)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// RFC 3986's dot-segment removal with AWS's addition: empty segments (repeated slashes) go too. A path ending
    /// in `/` keeps it.
    static func removeDotSegments(_ path: String) -> String {
        guard !path.isEmpty else { return "/" }
        var kept: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) where segment != "." {
            if segment == ".." {
                _ = kept.popLast()
            } else {
                kept.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !kept.isEmpty ? "/" : ""
        return leading + kept.joined(separator: "/") + trailing
    }

    /// Trims a header value and makes each run of white space (a folded line included) one space.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\u{0B}" || $0 == "\u{0C}" })
            .joined(separator: " ")
    }

    // MARK: Hashes and dates

    /// SHA-256 in lower-case hex, the form a payload hash takes.
    public static func sha256Hex(_ bytes: some DataProtocol) -> String { Hex.string(SHA256.hash(data: bytes)) }

    /// `yyyyMMddTHHmmssZ` in UTC (ISO 8601 basic format), computed from the Unix time so no formatter, locale or
    /// calendar setting can change it.
    public static func timestamp(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let hour = secondOfDay / 3_600
        let minute = secondOfDay % 3_600 / 60
        return "\(year)\(two(month))\(two(day))T\(two(hour))\(two(minute))\(two(secondOfDay % 60))Z"
    }

    /// The date of a `yyyyMMddTHHmmssZ` stamp, or nil.
    public static func date(fromTimestamp stamp: String) -> Date? {
        let digits = Array(stamp.utf8)
        guard digits.count == 16, digits[8] == UInt8(ascii: "T"), digits[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? { Int64(String(decoding: digits[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8), let hour = number(9..<11),
            let minute = number(11..<13), let second = number(13..<15), (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        // A civil date to days since 1970-01-01 (the inverse of `timestamp`'s algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3_600 + minute * 60 + second))
    }
}

/// A request the signer cannot read.
public enum SigV4Error: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidURL(String)

    public var description: String {
        switch self {
        case .invalidURL(let url): "not an absolute URL: \(url)"
        }
    }
}

extension SigV4Signer.Credentials: CustomStringConvertible {
    /// The access key id only, should credentials ever be logged.
    public var description: String {
        "Credentials(accessKeyID: \(self.accessKeyID), secretAccessKey: <redacted>, sessionToken: \(self.sessionToken == nil ? "none" : "<redacted>"))"
    }
}
