import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One request to an S3 store, before it is signed: the operation it performs (named in errors), and its method,
/// path, query, headers and body.
struct S3Request: Sendable {
    let operation: String
    let method: HTTPMethod
    /// The encoded path, `/bucket/key` or `/key` (see `S3BlobStore.objectPath`).
    let path: String
    var query: [(String, String)] = []
    var headers: [(String, String)] = []
    var body: ByteBuffer?

    init(
        _ operation: String,
        _ method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil
    ) {
        self.operation = operation
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The query as it is sent and signed: each name and value encoded, a name without a value alone.
    var queryString: String {
        self.query.map { $0.1.isEmpty ? SigV4Signer.encode($0.0) : "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }
            .joined(separator: "&")
    }
}
