import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Reading an answer's body as it arrives, under a deadline for a store that stalls.
extension S3BlobStore {
    /// Hands the body's chunks to `consume` one at a time, as they arrive, failing with `BlobError.unavailable` when
    /// the store sends nothing for `requestTimeout`.
    ///
    /// The body is read in a child task so a watchdog can cut a stalled read short (AsyncHTTPClient's deadline
    /// covers a request until its answer's head only); `consume` runs in the caller's task, and the next chunk is
    /// asked for only once it returns, so a slow reader holds one chunk and is never timed out itself.
    func stream(_ body: HTTPClientResponse.Body, _ operation: String, into consume: (ByteBuffer) async throws -> Void) async throws {
        let limit = self.configuration.requestTimeout
        let origin = self.origin
        let (chunks, chunkSink) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let (demand, demandSink) = AsyncStream<Void>.makeStream()
        let watch = StallWatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = body.makeAsyncIterator()
                var wanted = demand.makeAsyncIterator()
                do {
                    while true {
                        watch.waiting()
                        guard let chunk = try await iterator.next() else { break }
                        watch.received()
                        chunkSink.yield(chunk)
                        guard await wanted.next() != nil else { return }
                    }
                    watch.received()
                    chunkSink.finish()
                } catch {
                    watch.received()
                    chunkSink.finish(throwing: BlobError.unavailable("S3 \(operation): the answer broke off: \(Self.describe(error)) (\(origin))"))
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: limit / 8)
                    if watch.hasWaited(longerThan: limit) {
                        chunkSink.finish(throwing: BlobError.unavailable("S3 \(operation): nothing received for \(limit) (\(origin))"))
                        return
                    }
                }
            }
            defer { group.cancelAll() }
            for try await chunk in chunks {
                try await consume(chunk)
                demandSink.yield()
            }
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// AsyncHTTPClient's and NIO's errors in a few words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "no answer within the deadline"
            case .connectTimeout: return "could not connect in time"
            case .remoteConnectionClosed: return "the connection was closed"
            case .readTimeout: return "the answer stalled"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}

/// Since when a read has waited for its next chunk (nil while none is awaited), shared by the reading task and its
/// watchdog.
final class StallWatch: Sendable {
    private let since = Mutex<ContinuousClock.Instant?>(nil)

    /// The read now waits for a chunk.
    func waiting() { self.since.withLock { $0 = .now } }

    /// A chunk came (or the read ended): nothing is awaited.
    func received() { self.since.withLock { $0 = nil } }

    /// Whether the chunk awaited now has been awaited for longer than `limit`.
    func hasWaited(longerThan limit: Duration) -> Bool {
        self.since.withLock { since in since.map { ContinuousClock.now - $0 > limit } ?? false }
    }
}
