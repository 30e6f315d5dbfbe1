import Essentials
import NIOCore

/// Where output images live. The embedded default is `FileBlobStore`; an S3-compatible store joins for scale-out
/// behind the same protocol, so nothing above this layer knows which one runs.
package protocol BlobStore: Sendable {
    /// Stores the chunks under `key`, making the blob visible only once it is complete and durable (a power cut
    /// after `put` returns does not lose it). A blob already under `key` is replaced (a run that resumes rewrites
    /// its outputs). Returns the number of bytes written.
    func put(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64

    /// Streams the blob to `consume` chunk by chunk, without loading it whole. Throws `BlobError.notFound`.
    func read(key: String, into consume: (ByteBuffer) async throws -> Void) async throws

    /// Deletes the blob; deleting a missing blob is not an error (the janitor may run twice).
    func delete(key: String) async throws

    /// The keys of every complete blob whose key starts with `prefix` (a folder, ending in `/`), for the janitor's
    /// search for files no record points at.
    func keys(under prefix: String) async throws -> [String]

    /// Proves the store is reachable and writable, for `/ready`.
    func ping() async throws

    /// The size of a complete blob and the store's tag for its content, if it has one (S3's ETag); nil when there is
    /// no blob under `key`. For copying between stores (`imagegate blobs migrate`), which skips what is already
    /// there and checks what it wrote.
    func info(key: String) async throws -> BlobInfo?

    /// Whether the store refused a write for want of space lately (see `FullMark`); nil for a store that never
    /// says so (an object store: its capacity is the provider's).
    var full: FullMark? { get }
}

/// What a store knows of one blob without reading it.
package struct BlobInfo: Sendable, Equatable {
    package let size: Int64
    /// S3's ETag (the content's MD5 for a blob sent in one request; `<md5 of the parts' md5s>-<parts>` for a
    /// multipart one), without quotes; nil for files.
    package let etag: String?

    package init(size: Int64, etag: String?) {
        self.size = size
        self.etag = etag
    }
}

extension BlobStore {
    package var full: FullMark? { nil }

    /// Stores bytes already in memory.
    package func put(key: String, bytes: [UInt8]) async throws -> Int64 {
        try await self.put(key: key, chunks: SingleChunk(buffer: ByteBuffer(bytes: bytes)))
    }
}

/// Errors a blob store reports.
package enum BlobError: Error, Equatable, Sendable {
    case notFound(String)
    case invalidKey(String)
    /// The store could not be reached, did not answer within its deadline, or answered that it is failing (5xx):
    /// nothing is known to have changed, and the caller may try again later (an API answers 503).
    case unavailable(String)
}

/// An async sequence of exactly one buffer.
struct SingleChunk: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async throws -> ByteBuffer? {
            defer { self.buffer = nil }
            return self.buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: self.buffer) }
}
