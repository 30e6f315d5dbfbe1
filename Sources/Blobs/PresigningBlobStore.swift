import Foundation

/// A store that can give a reader a short-lived link straight to a blob, so the bytes need not pass through
/// ImageGate (`--output-delivery redirect`).
package protocol PresigningBlobStore: BlobStore {
    /// A URL that lets anyone holding it GET the blob for `expiresIn` seconds, answered with the given
    /// `Content-Type` and `Content-Disposition`.
    func presignedGetURL(key: String, expiresIn: Int, responseContentType: String?, responseContentDisposition: String?, now: Date) -> String
}

extension S3BlobStore: PresigningBlobStore {}
