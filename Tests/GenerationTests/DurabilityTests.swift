import Blobs
import Essentials
import Foundation
import Logging
import SQLKit
import Storage
import Testing

@testable import Generation

/// What must survive a power cut does, and what a crash leaves behind is cleaned up.
@Suite struct DurabilityTests {
    typealias Harness = SettlementTests.Harness

    @Test func everyCommitReachesTheDiskBeforeItReturns() async throws {
        try await Harness.with(provider: ScriptedProvider([])) { harness in
            switch harness.database.dialect {
            case .sqlite:
                // 2 = FULL: WAL mode with NORMAL may lose the last commits (a hold, a saved upstream handle) on power loss.
                let level = try await harness.database.transaction { sql in
                    try await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
                }
                #expect(level == 2)
            case .postgres:
                // ImageGate's sessions wait for the commit record to be flushed, whatever the server's default.
                let setting = try await harness.database.transaction { sql in
                    try await sql.raw("SHOW synchronous_commit").first()?.decode(column: "synchronous_commit", as: String.self)
                }
                #expect(setting == "on")
            }
        }
    }

    @Test func theJanitorRemovesOrphanedFilesAndKeepsLiveOnes() async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(1)])) { harness in
            let blobs = FileBlobStore(root: "\(harness.directory)/blobs")
            let completed = try await harness.run(numImages: 1)
            let queued = try await harness.submit(numImages: 1)
            let now = Timestamp.nowMillis()
            let unknownRecent = Identifier.make("gen", millis: now - 60_000)
            let unknownOld = Identifier.make("gen", millis: now - 2 * 3_600_000)
            let keep = [
                OutputStore.blobKey(generationID: completed.id, index: 0),  // a delivered output
                OutputStore.referenceKey(generationID: queued.id, index: 0),  // a generation still to run
                OutputStore.referenceKey(generationID: unknownRecent, index: 0),  // a submit that may still be committing
            ]
            let remove = [
                OutputStore.referenceKey(generationID: completed.id, index: 0),  // the settle's delete was lost in a crash
                OutputStore.blobKey(generationID: completed.id, index: 3),  // stored by a run that lost its lease
                OutputStore.referenceKey(generationID: unknownOld, index: 0),  // a submit that never committed
                OutputStore.blobKey(generationID: unknownOld, index: 0),
            ]
            for key in keep + remove where key != keep[0] { _ = try await blobs.put(key: key, bytes: [1, 2, 3]) }

            let janitor = harness.janitor(blobs: blobs)
            #expect(try await janitor.sweepOrphans(now: now) == remove.count)
            let left = Set(try await blobs.keys(under: "inputs/") + blobs.keys(under: "outputs/"))
            #expect(left == Set(keep))
        }
    }

    /// `blobs migrate` beside a live server: the copy of an output made just before the janitor deleted it (and marked
    /// its row) is an orphan too, or it would outlive the retention promise forever (issue 23, item 10).
    @Test func aCopyOfAnOutputTheJanitorAlreadyDeletedIsDeletedAsAnOrphan() async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(1)])) { harness in
            let blobs = FileBlobStore(root: "\(harness.directory)/blobs")
            let completed = try await harness.run(numImages: 1)
            let key = OutputStore.blobKey(generationID: completed.id, index: 0)
            // The janitor deletes the expired output and marks its row; the migration's copy lands afterwards.
            let expired = Timestamp.nowMillis() + 120_000
            #expect(try await harness.janitor(blobs: blobs).sweep(now: expired) == 1)
            _ = try await blobs.put(key: key, bytes: [1, 2, 3])
            #expect(try await harness.janitor(blobs: blobs).sweepOrphans(now: expired) == 1)
            #expect(try await blobs.info(key: key) == nil)
        }
    }

    /// A thumbnail stays while its output lives and goes with it; one made while the janitor deleted the output, or
    /// copied by `blobs migrate` afterwards, is an orphan (issue 27).
    @Test func aThumbnailGoesWithItsOutputAndOneLeftBehindIsAnOrphan() async throws {
        try await Harness.with(provider: ScriptedProvider([.deliver(1)])) { harness in
            let blobs = FileBlobStore(root: "\(harness.directory)/blobs")
            let completed = try await harness.run(numImages: 1)
            let thumbnail = OutputStore.thumbnailKey(ofOutput: OutputStore.blobKey(generationID: completed.id, index: 0))
            #expect(thumbnail == "thumbnails/\(completed.id)/0")
            _ = try await blobs.put(key: thumbnail, bytes: [1, 2, 3])
            let now = Timestamp.nowMillis()
            #expect(try await harness.janitor(blobs: blobs).sweepOrphans(now: now) == 0)
            #expect(try await blobs.info(key: thumbnail) != nil, "a live output's thumbnail is kept")
            let expired = now + 120_000
            #expect(try await harness.janitor(blobs: blobs).sweep(now: expired) == 1)
            #expect(try await blobs.info(key: thumbnail) == nil, "deleted with its output")
            _ = try await blobs.put(key: thumbnail, bytes: [1, 2, 3])
            #expect(try await harness.janitor(blobs: blobs).sweepOrphans(now: expired) == 1)
            #expect(try await blobs.info(key: thumbnail) == nil)
        }
    }
}
