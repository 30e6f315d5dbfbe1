import AsyncHTTPClient
import Blobs
import NIOCore

/// Where outputs and reference copies are kept (`--blob-store`).
package enum BlobStoreLocation: Sendable {
    /// Files under a directory (the default: `<data dir>/blobs`): one machine, or a volume every replica mounts.
    case directory(String)
    /// An S3-compatible bucket, which every replica on every machine reaches.
    case s3(S3Configuration)

    /// The store itself.
    package func open() -> any BlobStore {
        switch self {
        case .directory(let path): FileBlobStore(root: path)
        case .s3(let configuration): S3BlobStore(configuration: configuration, httpClient: Self.s3Client)
        }
    }

    /// The HTTP client of S3 requests, for the life of the process. A store that refuses connections fails each
    /// request at once (AsyncHTTPClient would otherwise retry the connection until the request's deadline, 30 s), so
    /// an output that cannot be stored fails, and is refunded, in seconds. Connections are kept for the many outputs
    /// stored and read at once.
    static let s3Client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        configuration.timeout.connect = .seconds(5)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}

/// Who sends an output's bytes (`--output-delivery`), before it is matched with the store.
package enum OutputDeliveryMode: String, Sendable, CaseIterable {
    case proxy, redirect, accel
}
