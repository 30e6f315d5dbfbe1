import Blobs
import Foundation
import NIOCore
import StorageTestSupport
import Synchronization
import Testing

@testable import Generation

/// `/ready` is public; its blob-store check is a request the operator pays for (S3's HeadBucket), so its answer is
/// kept for a few seconds (issue 23, item 11).
@Suite struct HealthChecksTests {
    /// A blob store on disk that counts its pings and can be made to refuse them.
    final class CountingStore: BlobStore {
        let base: FileBlobStore
        let pings = Mutex(0)
        let refusing = Mutex(false)

        init(root: String) { self.base = FileBlobStore(root: root) }

        func put(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64 {
            try await self.base.put(key: key, chunks: chunks)
        }
        func read(key: String, into consume: (ByteBuffer) async throws -> Void) async throws {
            try await self.base.read(key: key, into: consume)
        }
        func delete(key: String) async throws { try await self.base.delete(key: key) }
        func keys(under prefix: String) async throws -> [String] { try await self.base.keys(under: prefix) }
        func info(key: String) async throws -> BlobInfo? { try await self.base.info(key: key) }
        func ping() async throws {
            self.pings.withLock { $0 += 1 }
            if self.refusing.withLock({ $0 }) { throw BlobError.unavailable("refusing") }
        }
    }

    @Test func theStoreIsAskedAtMostOncePerCacheWindowWhateverItAnswered() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("health-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory, schema: .engine)
        try await withCleanup {
            let store = CountingStore(root: directory + "/blobs")
            let clock = ManualClock()
            let checks = HealthChecks(database: database, blobs: store, clock: clock, readyCacheMillis: 5_000)

            for _ in 0..<20 { try await checks.ready() }
            #expect(store.pings.withLock { $0 } == 1)

            // Past the window it asks again, and a refusal is kept as long.
            store.refusing.withLock { $0 = true }
            clock.advance(byMillis: 5_000)
            for _ in 0..<5 { await #expect(throws: (any Error).self) { try await checks.ready() } }
            #expect(store.pings.withLock { $0 } == 2)

            store.refusing.withLock { $0 = false }
            clock.advance(byMillis: 5_000)
            try await checks.ready()
            #expect(store.pings.withLock { $0 } == 3)
        } cleanup: {
            try? await database.close()
        }
    }

    /// No upstream reachable: not ready, with the reason; the probe, like the stores', runs once per window.
    @Test func anUnreachableUpstreamMakesItNotReadyAndIsProbedOncePerWindow() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("health-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(directory: directory, schema: .engine)
        try await withCleanup {
            let probes = Mutex(0)
            let reachable = Mutex(true)
            let upstream = UpstreamCheck(name: "fal", models: ["seedream-5-lite"]) {
                probes.withLock { $0 += 1 }
                if !reachable.withLock({ $0 }) { throw BlobError.unavailable("connection refused") }
            }
            let clock = ManualClock()
            let checks = HealthChecks(
                database: database,
                blobs: FileBlobStore(root: directory + "/blobs"),
                clock: clock,
                readyCacheMillis: 5_000,
                upstreams: [upstream]
            )
            try await checks.ready()
            reachable.withLock { $0 = false }
            clock.advance(byMillis: 5_000)
            for _ in 0..<10 {
                do {
                    try await checks.ready()
                    Issue.record("ready with the upstream unreachable")
                } catch let error as HealthChecks.NotReady {
                    #expect(error.reason == .upstreamUnreachable)
                }
            }
            #expect(probes.withLock { $0 } == 2)
        } cleanup: {
            try? await database.close()
        }
    }
}
