import Essentials
import NIOCore
import NIOPosix
import _NIOFileSystem

/// Blobs as files under one directory. Files are written to a hidden temporary name, flushed to disk (`fsync`) and
/// only then moved under their key, and the folder is flushed too: a crash or a power cut never leaves half an image
/// behind a valid link, nor loses one whose generation was charged.
package struct FileBlobStore: BlobStore {
    package let root: FilePath
    /// Set when a write found the disk full (`ENOSPC`, or the user's quota), cleared by the next that succeeds.
    package let full: FullMark? = FullMark(.outputs)

    /// Blob IO blocks threads (writes, `fsync`): it gets threads of its own rather than NIO's shared blocking pool,
    /// where image rendering and decoding run, so a file write never waits behind a render (nor a render behind a
    /// slow disk). One pool for the process, like NIO's own.
    static let fileSystem: FileSystem = {
        let threads = NIOThreadPool(numberOfThreads: 8)
        threads.start()
        return FileSystem(threadPool: threads)
    }()

    package init(root: String) {
        self.root = FilePath(root)
    }

    package func put(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64 {
        do {
            let written = try await self.write(key: key, chunks: chunks)
            self.full?.noteWrite()
            return written
        } catch let error where Self.isOutOfSpace(error) {
            BlobWriteFailures.record(store: "file")
            self.full?.noteRefusal()
            throw StorageFullError(.outputs, detail: "\(error)")
        } catch {
            BlobWriteFailures.record(store: "file")
            throw error
        }
    }

    /// Whether a file system error (or one it wraps) is `ENOSPC` or `EDQUOT`.
    static func isOutOfSpace(_ error: any Error) -> Bool {
        var next: (any Error)? = error
        while let current = next {
            if let call = current as? FileSystemError.SystemCallError, call.errno == .noSpace || call.errno == .diskQuotaExceeded {
                return true
            }
            next = (current as? FileSystemError)?.cause
        }
        return false
    }

    /// Writes a temporary file, flushes it and renames it under `key`.
    private func write(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64 {
        let path = try self.path(for: key)
        try await Self.fileSystem.createDirectory(at: path.removingLastComponent(), withIntermediateDirectories: true)
        let written = try await Self.fileSystem.withFileHandle(forWritingAt: path, options: .newFile(replaceExisting: true)) { handle in
            // Each chunk is written as it arrives: gathering them into larger writes measured no faster, and with a
            // thousand outputs arriving at once the gathered buffers cost hundreds of megabytes (docs/benchmarks.md, B3).
            var offset: Int64 = 0
            for try await chunk in chunks {
                try await handle.write(contentsOf: chunk, toAbsoluteOffset: offset)
                offset += Int64(chunk.readableBytes)
            }
            try await handle.synchronize()
            return offset
        }
        // The file is renamed into place on close; flushing its folder makes the new name durable.
        try await Self.fileSystem.withDirectoryHandle(atPath: path.removingLastComponent()) { try await $0.synchronize() }
        return written
    }

    package func read(key: String, into consume: (ByteBuffer) async throws -> Void) async throws {
        let path = try self.path(for: key)
        do {
            try await Self.fileSystem.withFileHandle(forReadingAt: path) { handle in
                for try await chunk in handle.readChunks(in: 0..., chunkLength: .mebibytes(1)) {
                    try await consume(chunk)
                }
            }
        } catch let error as FileSystemError where error.code == .notFound {
            throw BlobError.notFound(key)
        }
    }

    package func delete(key: String) async throws {
        _ = try await Self.fileSystem.removeItem(at: try self.path(for: key))
    }

    package func keys(under prefix: String) async throws -> [String] {
        try BlobKey.validate(prefix: prefix)
        let folder = prefix.isEmpty ? self.root : self.root.appending(String(prefix.dropLast()))
        var keys: [String] = []
        do {
            try await Self.fileSystem.withDirectoryHandle(atPath: folder) { directory in
                for try await entry in directory.listContents(recursive: true) where entry.type == .regular {
                    // Hidden names are files still being written.
                    guard let name = entry.path.lastComponent?.string, !name.hasPrefix(".") else { continue }
                    var relative = entry.path
                    guard relative.removePrefix(self.root) else { continue }
                    keys.append(relative.string)
                }
            }
        } catch let error as FileSystemError where error.code == .notFound {
            return []
        }
        return keys
    }

    package func info(key: String) async throws -> BlobInfo? {
        guard let file = try await Self.fileSystem.info(forFileAt: try self.path(for: key)), file.type == .regular else { return nil }
        return BlobInfo(size: file.size, etag: nil)
    }

    package func ping() async throws {
        try await Self.fileSystem.createDirectory(at: self.root, withIntermediateDirectories: true)
        _ = try await self.put(key: ".ready", bytes: Array("ok".utf8))
    }

    /// Keys are relative paths of safe characters; anything else (including `..`) is refused (`BlobKey`).
    func path(for key: String) throws -> FilePath {
        try BlobKey.validate(key)
        return self.root.appending(key)
    }
}
