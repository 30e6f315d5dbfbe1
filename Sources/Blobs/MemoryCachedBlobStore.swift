import Essentials
import NIOCore
import Synchronization

/// A blob store that keeps the most recently read blobs in memory, up to a byte budget, in front of another store.
///
/// Outputs never change once stored, and a link that is read once (put in a page, shared) is often read many times.
/// Serving those reads from memory skips the file open, the read into a fresh buffer and its page faults; one shared
/// buffer goes to every response (docs/benchmarks.md, B4). Writes are not cached: most outputs are downloaded once,
/// right after they are made, and a burst of generations finishing together must not fill memory with copies.
/// Only keys under `cachedPrefix` are cached (outputs, not the reference images an edit reads once and deletes).
/// Whether a blob may be served at all (expiry, deletion) is decided above this layer, from the database, before a
/// read; writing or deleting a key evicts it.
package struct MemoryCachedBlobStore: BlobStore {
    let base: any BlobStore
    let cache: BlobCache
    let cachedPrefix: String

    /// - Parameters:
    ///   - capacityBytes: the most bytes held at once; the least recently used blobs go first.
    ///   - maxBlobBytes: larger blobs pass through uncached (default: a quarter of the capacity).
    ///   - cachedPrefix: only keys starting with it are cached.
    package init(base: any BlobStore, capacityBytes: Int, maxBlobBytes: Int? = nil, cachedPrefix: String = "") {
        self.base = base
        self.cache = BlobCache(capacityBytes: capacityBytes, maxBlobBytes: maxBlobBytes ?? capacityBytes / 4)
        self.cachedPrefix = cachedPrefix
    }

    package func put(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64 {
        defer { self.cache.remove(key: key) }
        return try await self.base.put(key: key, chunks: chunks)
    }

    package func read(key: String, into consume: (ByteBuffer) async throws -> Void) async throws {
        guard key.hasPrefix(self.cachedPrefix) else {
            try await self.base.read(key: key, into: consume)
            return
        }
        if let bytes = self.cache.get(key: key) {
            try await consume(bytes)
            return
        }
        let recorder = BlobRecorder(cache: self.cache)
        defer { recorder.finish() }
        try await self.base.read(key: key) { chunk in
            recorder.record(chunk)
            try await consume(chunk)
        }
        recorder.store(as: key)
    }

    package func delete(key: String) async throws {
        self.cache.remove(key: key)
        try await self.base.delete(key: key)
    }

    package func keys(under prefix: String) async throws -> [String] {
        try await self.base.keys(under: prefix)
    }

    package func info(key: String) async throws -> BlobInfo? {
        try await self.base.info(key: key)
    }

    package var full: FullMark? { self.base.full }

    package func ping() async throws {
        try await self.base.ping()
    }
}

/// The blobs held in memory, least recently used first out.
final class BlobCache: Sendable {
    struct Entry {
        var bytes: ByteBuffer
        var lastUse: UInt64
    }

    struct State {
        var entries: [String: Entry] = [:]
        var heldBytes = 0
        /// Bytes being collected by recorders right now, not yet in `entries`.
        var recordingBytes = 0
        var clock: UInt64 = 0
        /// Counts evictions by `remove`; a recording that began before one must not put stale bytes back.
        var removals: UInt64 = 0
    }

    let capacityBytes: Int
    let maxBlobBytes: Int
    private let state = Mutex(State())

    init(capacityBytes: Int, maxBlobBytes: Int) {
        self.capacityBytes = capacityBytes
        self.maxBlobBytes = min(maxBlobBytes, capacityBytes)
    }

    func get(key: String) -> ByteBuffer? {
        self.state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.clock += 1
            entry.lastUse = state.clock
            state.entries[key] = entry
            return entry.bytes
        }
    }

    /// Reserves room for `count` more bytes of recording. Recordings in progress share one allowance, the
    /// cache's capacity, so a thousand first reads at once cannot each hold a copy in memory.
    func reserveRecording(_ count: Int) -> Bool {
        self.state.withLock { state in
            guard state.recordingBytes + count <= self.capacityBytes else { return false }
            state.recordingBytes += count
            return true
        }
    }

    func releaseRecording(_ count: Int) {
        self.state.withLock { $0.recordingBytes -= count }
    }

    /// The eviction count now, for `insert(key:bytes:unlessRemovedSince:)`.
    var removals: UInt64 { self.state.withLock { $0.removals } }

    /// Adds a blob, evicting the least recently used ones to make room; skipped if anything was removed since
    /// `removals` (the blob may be one that was deleted or rewritten meanwhile).
    func insert(key: String, bytes: ByteBuffer, unlessRemovedSince removals: UInt64? = nil) {
        guard bytes.readableBytes <= self.maxBlobBytes else { return }
        self.state.withLock { state in
            if let removals, state.removals != removals { return }
            if let old = state.entries.removeValue(forKey: key) { state.heldBytes -= old.bytes.readableBytes }
            // Evicting scans the entries; with blobs of a megabyte or more there are only tens of them.
            while state.heldBytes + bytes.readableBytes > self.capacityBytes,
                let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
            {
                state.entries.removeValue(forKey: oldest.key)
                state.heldBytes -= oldest.value.bytes.readableBytes
            }
            state.clock += 1
            state.entries[key] = Entry(bytes: bytes, lastUse: state.clock)
            state.heldBytes += bytes.readableBytes
        }
    }

    func remove(key: String) {
        self.state.withLock { state in
            state.removals += 1
            if let old = state.entries.removeValue(forKey: key) { state.heldBytes -= old.bytes.readableBytes }
        }
    }

    /// Bytes held now (for tests).
    var heldBytes: Int { self.state.withLock { $0.heldBytes } }
    /// Bytes being recorded now (for tests).
    var recordingBytes: Int { self.state.withLock { $0.recordingBytes } }
}

/// Collects the chunks of one blob as it is read, within the cache's recording allowance; it gives up (and frees
/// what it holds) once the blob is larger than the cache takes or the allowance is spent.
final class BlobRecorder: Sendable {
    private let cache: BlobCache
    private let removalsAtStart: UInt64
    /// The chunks so far (the reader's own buffers, not copies) and the bytes reserved for them; nil once given up
    /// or finished.
    private let state = Mutex<(chunks: [ByteBuffer], reserved: Int)?>(([], 0))

    init(cache: BlobCache) {
        self.cache = cache
        self.removalsAtStart = cache.removals
    }

    func record(_ chunk: ByteBuffer) {
        self.state.withLock { state in
            guard case (var chunks, let reserved)? = state else { return }
            let count = chunk.readableBytes
            guard reserved + count <= self.cache.maxBlobBytes, self.cache.reserveRecording(count) else {
                self.cache.releaseRecording(reserved)
                state = nil
                return
            }
            state = nil  // keeps `chunks` uniquely referenced, so appending does not copy it
            chunks.append(chunk)
            state = (chunks, reserved + count)
        }
    }

    /// Puts the complete blob in the cache as one buffer of its exact size, unless recording gave up.
    func store(as key: String) {
        self.state.withLock { state in
            guard let (chunks, reserved) = state else { return }
            state = nil
            var whole = ByteBufferAllocator().buffer(capacity: reserved)
            for chunk in chunks { whole.writeImmutableBuffer(chunk) }
            self.cache.insert(key: key, bytes: whole, unlessRemovedSince: self.removalsAtStart)
            self.cache.releaseRecording(reserved)
        }
    }

    /// Releases whatever is still reserved (the read failed, or the blob was stored already).
    func finish() {
        self.state.withLock { state in
            if let (_, reserved) = state { self.cache.releaseRecording(reserved) }
            state = nil
        }
    }
}
