import AsyncHTTPClient
import Blobs
import Essentials
import Foundation
import SQLKit
import Storage
import StorageTestSupport
import Testing

@testable import Generation

/// Retention holds in a bucket too: the janitor deletes the objects of expired outputs and the orphans it finds by
/// listing the bucket, against a real S3-compatible server (`IMAGEGATE_TEST_S3`, set by `scripts/test`).
@Suite(.enabled(if: TestS3Server.url != nil, "IMAGEGATE_TEST_S3 is not set (scripts/test starts SeaweedFS and moto and sets it)"))
struct JanitorOnS3Tests {
    typealias Harness = SettlementTests.Harness

    @Test func expiredOutputsAndOrphansLeaveTheBucket() async throws {
        let store = S3BlobStore(configuration: try S3Configuration(url: try #require(TestS3Server.url)), httpClient: .shared)
        try await Harness.with(provider: ScriptedProvider([.deliver(2)]), blobs: store) { harness in
            let completed = try await harness.run(numImages: 2)
            #expect(completed.status == .completed)
            let keys = (0..<2).map { OutputStore.blobKey(generationID: completed.id, index: $0) }
            for key in keys { #expect(try await store.info(key: key) != nil, "the outputs were stored in the bucket") }
            // A file no row will ever point at: stored by a run of this generation that lost its lease.
            let orphan = OutputStore.blobKey(generationID: completed.id, index: 7)
            _ = try await store.put(key: orphan, bytes: [1, 2, 3])

            let janitor = harness.janitor(blobs: store)
            // Not yet expired: nothing of the outputs goes.
            #expect(try await janitor.sweep(now: Timestamp.nowMillis()) == 0)
            #expect(try await janitor.sweepOrphans(now: Timestamp.nowMillis()) == 1)
            #expect(try await store.info(key: orphan) == nil)
            for key in keys { #expect(try await store.info(key: key) != nil) }
            // Past the retention (60 s in the harness): both objects are deleted and their rows marked.
            #expect(try await janitor.sweep(now: Timestamp.nowMillis() + 61_000) == 2)
            for key in keys { #expect(try await store.info(key: key) == nil) }
            let marked = try await harness.database.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM outputs WHERE generation_id = \(bind: completed.id) AND deleted_at IS NOT NULL")
                    .first()?.decode(column: "n", as: Int.self)
            }
            #expect(marked == 2)
        }
    }
}
