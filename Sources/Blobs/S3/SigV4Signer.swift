import Crypto
import Essentials
import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), written from AWS's specification because no AWS SDK for Swift can
/// be had here: the canonical request, the string to sign, the signing key and the signature, for requests signed in
/// their headers (`Authorization`) and for presigned URLs (the signature in the query).
///
/// The clock is never read here: the caller passes the date, so tests sign with AWS's fixed date and compare with
/// AWS's published answers and with botocore's signer (`Tests/BlobsTests/SigV4*`, `e2e/test_sigv4_oracle.py`).
package struct SigV4Signer: Sendable {
    /// The key pair that signs, and the session token that temporary credentials (AWS STS) come with.
    package struct Credentials: Sendable, Equatable {
        package var accessKeyID: String
        package var secretAccessKey: String
        package var sessionToken: String?

        package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// How the request's path becomes the canonical URI. S3 signs the path exactly as it is sent (an object named
    /// `a//b/../c` is that object, not `a/c`); every other service first removes `.`/`..` and empty segments and
    /// then percent-encodes the path as given, so a path that was already encoded for the wire ends up encoded twice.
    package struct PathRules: Sendable, Equatable {
        /// Remove `.` and `..` segments and repeated slashes (RFC 3986 §5.2.4, as AWS applies it).
        package var normalizes: Bool
        /// Percent-encode the path as given (AWS calls this double encoding: the path is already encoded once).
        package var encodesAgain: Bool

        package init(normalizes: Bool, encodesAgain: Bool) {
            self.normalizes = normalizes
            self.encodesAgain = encodesAgain
        }

        /// S3: the path as sent.
        package static let s3 = PathRules(normalizes: false, encodesAgain: false)
        /// Every other service.
        package static let standard = PathRules(normalizes: true, encodesAgain: true)
    }

    /// The payload hash of a presigned URL and of any body sent without hashing it first.
    package static let unsignedPayload = "UNSIGNED-PAYLOAD"
    /// SHA-256 of no bytes.
    package static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Headers never signed. Proxies and HTTP clients add, change or drop them on the way (`User-Agent`, hop-by-hop
    /// headers), and a signature over them would break in flight; botocore leaves out the same ones.
    static let unsignedHeaders: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade", "user-agent", "x-amzn-trace-id", "authorization",
    ]

    package var credentials: Credentials
    package var region: String
    package var service: String
    package var pathRules: PathRules
    /// Whether the session token is part of what is signed (most services, S3 among them) or only added after
    /// signing (a few older services; AWS's suite has a case of each).
    package var signsSessionToken: Bool

    /// - Parameter pathRules: how the path is canonicalized; by default `.s3` for the service `s3`, else `.standard`.
    package init(credentials: Credentials, region: String, service: String, pathRules: PathRules? = nil, signsSessionToken: Bool = true) {
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
    package func signHeaders(_ request: Request, payloadHash: String, sendsPayloadHash: Bool = false, date: Date) -> HeaderSignature {
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
    package func presign(_ request: Request, expires: Int, date: Date, payloadHash: String = unsignedPayload) -> Presigned {
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
}

extension SigV4Signer.Credentials: CustomStringConvertible {
    /// The access key id only, should credentials ever be logged.
    package var description: String {
        "Credentials(accessKeyID: \(self.accessKeyID), secretAccessKey: <redacted>, sessionToken: \(self.sessionToken == nil ? "none" : "<redacted>"))"
    }
}
