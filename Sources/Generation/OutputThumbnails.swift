import Blobs
import Imaging
import NIOCore
import NIOPosix

/// An output's thumbnail (`GET /v1/thumbnails/{file}`): made once from the stored output with libvips, then kept
/// in the blob store beside it (`thumbnails/<generation>/<index>`) and read from there; the janitor deletes it with
/// its output.
package struct OutputThumbnails: Sendable {
    let blobs: any BlobStore

    package init(blobs: any BlobStore) {
        self.blobs = blobs
    }

    /// The thumbnail's JPEG bytes, made and stored on first use. Throws `BlobError.notFound` when the output's
    /// file is gone, `.unavailable` when the store cannot be reached.
    package func jpeg(of output: OutputRecord) async throws -> [UInt8] {
        let key = OutputStore.thumbnailKey(ofOutput: output.blobKey)
        if let stored = try await self.stored(key) { return stored }
        let original = try await self.readWhole(output.blobKey, expectedBytes: output.byteCount)
        // libvips decodes the whole output: seconds of a core at worst, on the blocking pool, not on a task's thread.
        let thumbnail = try await NIOThreadPool.singleton.runIfActive { try Thumbnail.jpeg(of: original) }
        // Two first readers at once both make it; the store replaces a blob whole, so either copy is the one kept.
        _ = try await self.blobs.put(key: key, bytes: thumbnail)
        return thumbnail
    }

    func stored(_ key: String) async throws -> [UInt8]? {
        do {
            return try await self.readWhole(key, expectedBytes: 0)
        } catch BlobError.notFound {
            return nil
        }
    }

    func readWhole(_ key: String, expectedBytes: Int64) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(clamping: expectedBytes))
        try await self.blobs.read(key: key) { chunk in
            bytes.append(contentsOf: chunk.readableBytesView)
        }
        return bytes
    }
}
