import AsyncHTTPClient
import Blobs

/// Where outputs and reference copies are kept (`--blob-store`).
public enum BlobStoreLocation: Sendable {
    /// Files under a directory (the default: `<data dir>/blobs`): one machine, or a volume every replica mounts.
    case directory(String)
    /// An S3-compatible bucket, which every replica on every machine reaches.
    case s3(S3Configuration)

    /// The store itself. S3 requests go through the process-wide HTTP client (its own connection pool).
    public func open() -> any BlobStore {
        switch self {
        case .directory(let path): FileBlobStore(root: path)
        case .s3(let configuration): S3BlobStore(configuration: configuration, httpClient: .shared)
        }
    }
}

/// Who sends an output's bytes (`--output-delivery`), before it is matched with the store.
public enum OutputDeliveryMode: String, Sendable, CaseIterable {
    case proxy, redirect, accel
}
