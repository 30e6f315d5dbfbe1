import Foundation

/// Where and how `S3BlobStore` reaches its bucket: AWS S3 or any S3-compatible server (SeaweedFS, MinIO, moto…).
package struct S3Configuration: Sendable {
    /// S3 refuses parts smaller than this, except the last.
    package static let minimumPartSize = 5 * 1_024 * 1_024

    package var bucket: String
    /// The server's base URL, such as `http://127.0.0.1:8333`; nil for AWS (`https://s3.<region>.amazonaws.com`).
    package var endpoint: String?
    package var region: String
    package var accessKeyID: String
    package var secretAccessKey: String
    /// The token of temporary credentials (AWS STS), sent and signed with every request.
    package var sessionToken: String?
    /// Address the bucket in the path (`endpoint/bucket/key`, what self-hosted servers expect) rather than in the
    /// host name (`bucket.endpoint/key`, AWS's preference).
    package var pathStyle: Bool
    /// The size of each part of a multipart upload, and so the most of one blob held in memory while it is stored:
    /// a blob that ends within one part is sent as one `PUT`. At least `minimumPartSize` (smaller values are raised
    /// to it).
    package var partSize: Int {
        didSet { self.partSize = max(self.partSize, Self.minimumPartSize) }
    }
    /// The keys asked for per page of a listing (S3 gives at most 1000).
    package var listPageSize: Int
    /// The deadline of each request that moves data or lists: until the answer's head for a request, and for each
    /// wait on the store while a body streams in (a reader that is slow itself is never cut off).
    package var requestTimeout: Duration
    /// The deadline of `ping` (`/ready` must answer quickly whatever the store does).
    package var pingTimeout: Duration

    package init(
        bucket: String,
        endpoint: String? = nil,
        region: String = "us-east-1",
        accessKeyID: String,
        secretAccessKey: String,
        sessionToken: String? = nil,
        pathStyle: Bool? = nil,
        partSize: Int = 8 * 1_024 * 1_024,
        listPageSize: Int = 1_000,
        requestTimeout: Duration = .seconds(30),
        pingTimeout: Duration = .seconds(5)
    ) {
        self.bucket = bucket
        self.endpoint = endpoint.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.region = region
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.pathStyle = pathStyle ?? (endpoint != nil)
        self.partSize = max(partSize, Self.minimumPartSize)
        self.listPageSize = min(max(listPageSize, 1), 1_000)
        self.requestTimeout = requestTimeout
        self.pingTimeout = pingTimeout
    }

    /// Reads the settings from one URL, the shape `scripts/s3 start` prints:
    /// `s3://ACCESS_KEY:SECRET_KEY@HOST:PORT/BUCKET?region=us-east-1` (keys percent-encoded). The endpoint is
    /// `http://HOST:PORT` (`https://` with `tls=true`); without a host (`s3://KEY:SECRET@/BUCKET`) it is AWS.
    /// Also read: `path_style=true|false`, `session_token=…`.
    package init(url: String) throws(S3ConfigurationError) {
        guard let components = URLComponents(string: url), components.scheme == "s3" else { throw .invalid("not an s3:// URL") }
        guard let access = components.percentEncodedUser?.removingPercentEncoding, !access.isEmpty,
            let secret = components.percentEncodedPassword?.removingPercentEncoding, !secret.isEmpty
        else { throw .invalid("no ACCESS_KEY:SECRET_KEY@") }
        let bucket = String(components.path.drop(while: { $0 == "/" }))
        guard !bucket.isEmpty, !bucket.contains("/") else { throw .invalid("no bucket in the path") }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        var endpoint: String?
        if let host = components.host, !host.isEmpty {
            let scheme = query["tls"] == "true" ? "https" : "http"
            endpoint = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        }
        self.init(
            bucket: bucket,
            endpoint: endpoint,
            region: query["region"] ?? "us-east-1",
            accessKeyID: access,
            secretAccessKey: secret,
            sessionToken: query["session_token"],
            pathStyle: query["path_style"].map { $0 == "true" }
        )
    }
}

/// Settings that cannot be read. The URL itself is not repeated: it holds the secret key.
package enum S3ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalid(String)

    package var description: String {
        switch self {
        case .invalid(let reason): "invalid S3 URL: \(reason) (expected s3://ACCESS_KEY:SECRET_KEY@HOST:PORT/BUCKET?region=REGION)"
        }
    }
}

extension S3Configuration: CustomStringConvertible {
    /// Everything but the secrets, should a configuration ever be logged.
    package var description: String {
        "S3Configuration(bucket: \(self.bucket), endpoint: \(self.endpoint ?? "AWS"), region: \(self.region), "
            + "accessKeyID: \(self.accessKeyID), secretAccessKey: <redacted>, pathStyle: \(self.pathStyle))"
    }
}
