import Blobs
import Storage

/// Finding a stored output by its id, for its signed link (`GET /v1/outputs/…`): the link needs no key, and the
/// caller has checked its signature before asking.
package struct OutputReads: Sendable {
    let outputs: OutputStore
    let blobs: any BlobStore

    package init(database: any Database, blobs: any BlobStore) {
        self.outputs = OutputStore(database: database)
        self.blobs = blobs
    }

    /// The output's record (its blob, type, size, expiry), deleted or not; nil when no output has this id.
    package func output(id: String) async throws -> OutputRecord? {
        try await self.outputs.get(id: id)
    }

    /// Starts reading the output's bytes from the blob store (`BlobError.notFound` when they are gone,
    /// `.unavailable` when the store cannot be reached: nothing has been sent yet either way).
    package func open(_ output: OutputRecord) async throws -> BlobDownload {
        try await BlobDownload.open(output.blobKey, from: self.blobs)
    }

    /// The output's thumbnail (a small JPEG), made from its bytes on first use and kept in the store beside it.
    package func thumbnail(of output: OutputRecord) async throws -> [UInt8] {
        try await OutputThumbnails(blobs: self.blobs).jpeg(of: output)
    }
}
