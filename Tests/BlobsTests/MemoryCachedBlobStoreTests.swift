import Foundation
import NIOCore
import Testing

@testable import Blobs

/// The in-memory output cache in front of real files: same bytes as the files, bounded, evicted on delete.
@Suite struct MemoryCachedBlobStoreTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blobs-\(UUID().uuidString)").path

    func bytes(_ count: Int, _ seed: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) &+ seed } }

    func read(_ store: some BlobStore, _ key: String) async throws -> [UInt8] {
        var collected: [UInt8] = []
        try await store.read(key: key) { collected.append(contentsOf: $0.readableBytesView) }
        return collected
    }

    @Test func servesWhatWasStoredAndKeepsWithinItsBudget() async throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let files = FileBlobStore(root: self.directory)
        let store = MemoryCachedBlobStore(base: files, capacityBytes: 2_500, maxBlobBytes: 1_500)
        for index in 0..<4 {
            _ = try await store.put(key: "out/\(index).png", bytes: self.bytes(1_000, UInt8(index)))
        }
        // Writing caches nothing; reading does, within the budget, the least recently read going first.
        #expect(store.cache.heldBytes == 0)
        for index in 0..<4 {
            #expect(try await self.read(store, "out/\(index).png") == self.bytes(1_000, UInt8(index)))
            #expect(store.cache.heldBytes <= 2_500)
        }
        #expect(store.cache.get(key: "out/3.png") != nil && store.cache.get(key: "out/2.png") != nil)
        #expect(store.cache.get(key: "out/0.png") == nil)
        // A cached read gives the same bytes as the file.
        #expect(try await self.read(store, "out/3.png") == (try await self.read(files, "out/3.png")))
        #expect(store.cache.recordingBytes == 0)
    }

    @Test func largeBlobsPassThroughAndDeleteEvicts() async throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let store = MemoryCachedBlobStore(base: FileBlobStore(root: self.directory), capacityBytes: 4_000, maxBlobBytes: 1_000)
        _ = try await store.put(key: "big.png", bytes: self.bytes(3_000, 7))
        #expect(store.cache.heldBytes == 0)
        #expect(try await self.read(store, "big.png") == self.bytes(3_000, 7))
        #expect(store.cache.heldBytes == 0)

        _ = try await store.put(key: "small.png", bytes: self.bytes(500, 9))
        _ = try await self.read(store, "small.png")
        #expect(store.cache.heldBytes == 500)
        try await store.delete(key: "small.png")
        #expect(store.cache.heldBytes == 0)
        await #expect(throws: BlobError.notFound("small.png")) { try await self.read(store, "small.png") }
    }

    @Test func rewritingEvictsAndOnlyTheCachedPrefixIsCached() async throws {
        defer { try? FileManager.default.removeItem(atPath: self.directory) }
        let store = MemoryCachedBlobStore(base: FileBlobStore(root: self.directory), capacityBytes: 4_000, cachedPrefix: "outputs/")
        _ = try await store.put(key: "outputs/g/0", bytes: self.bytes(600, 1))
        #expect(try await self.read(store, "outputs/g/0") == self.bytes(600, 1))
        #expect(store.cache.heldBytes == 600)
        // Written again (a generation processed twice): the next read sees the new bytes, not the cached ones.
        _ = try await store.put(key: "outputs/g/0", bytes: self.bytes(600, 2))
        #expect(try await self.read(store, "outputs/g/0") == self.bytes(600, 2))
        // Reference images (another prefix) pass through.
        _ = try await store.put(key: "inputs/g/0", bytes: self.bytes(300, 3))
        #expect(try await self.read(store, "inputs/g/0") == self.bytes(300, 3))
        #expect(store.cache.heldBytes == 600 && store.cache.get(key: "inputs/g/0") == nil)
    }

    @Test func aReadThatOverlapsADeleteDoesNotPutTheBlobBack() {
        let cache = BlobCache(capacityBytes: 1_000, maxBlobBytes: 1_000)
        let recorder = BlobRecorder(cache: cache)
        recorder.record(ByteBuffer(bytes: [UInt8](repeating: 1, count: 100)))
        cache.remove(key: "outputs/g/0")
        recorder.store(as: "outputs/g/0")
        #expect(cache.get(key: "outputs/g/0") == nil)
        #expect(cache.heldBytes == 0 && cache.recordingBytes == 0)
    }

    @Test func recordingsShareOneAllowance() async throws {
        let cache = BlobCache(capacityBytes: 1_000, maxBlobBytes: 1_000)
        let first = BlobRecorder(cache: cache)
        let second = BlobRecorder(cache: cache)
        first.record(ByteBuffer(bytes: [UInt8](repeating: 1, count: 700)))
        second.record(ByteBuffer(bytes: [UInt8](repeating: 2, count: 700)))
        // The second recording did not fit in what the first left, so it gave up and holds nothing.
        #expect(cache.recordingBytes == 700)
        second.store(as: "second")
        first.store(as: "first")
        #expect(cache.get(key: "second") == nil)
        #expect(cache.get(key: "first")?.readableBytes == 700)
        #expect(cache.recordingBytes == 0)
        first.finish()
        second.finish()
        #expect(cache.recordingBytes == 0 && cache.heldBytes == 700)
    }
}
