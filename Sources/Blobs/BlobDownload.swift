import NIOCore

/// A blob read that has started: its first chunk (or its failure) is in hand before the caller commits to an answer,
/// and the whole blob then comes as an async sequence of chunks.
///
/// An HTTP response cannot change its status once its head is sent, and a store can fail at the very start of a read
/// (a bucket unreachable, an object gone): opening the read first lets the caller answer 503 or 404 instead of a
/// 200 that breaks off. The rest streams with backpressure: the reading task hands over one chunk and waits until
/// the consumer asks for the next, so a slow consumer never makes the blob pile up in memory. Iterate it once.
package final class BlobDownload: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer

    private let chunks: AsyncThrowingStream<ByteBuffer, any Error>
    private let taken: AsyncStream<Void>.Continuation
    private let reading: Task<Void, Never>
    private let first: ByteBuffer?

    private init(
        chunks: AsyncThrowingStream<ByteBuffer, any Error>,
        taken: AsyncStream<Void>.Continuation,
        reading: Task<Void, Never>,
        first: ByteBuffer?
    ) {
        self.chunks = chunks
        self.taken = taken
        self.reading = reading
        self.first = first
    }

    /// Starts reading `key` and waits for its first chunk. Throws what the store throws before it (`BlobError`).
    package static func open(_ key: String, from blobs: any BlobStore) async throws -> BlobDownload {
        let (chunks, delivered) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let (acknowledgements, taken) = AsyncStream<Void>.makeStream()
        let reading = Task {
            var acknowledged = acknowledgements.makeAsyncIterator()
            do {
                try await blobs.read(key: key) { chunk in
                    delivered.yield(chunk)
                    // Nil when the download was dropped (the consumer went away): stop reading.
                    guard await acknowledged.next() != nil else { throw CancellationError() }
                }
                delivered.finish()
            } catch {
                delivered.finish(throwing: error)
            }
        }
        var iterator = chunks.makeAsyncIterator()
        do {
            let first = try await iterator.next()
            // A cancelled wait ends the stream like an empty blob would: tell them apart.
            try Task.checkCancellation()
            taken.yield()  // the reader fetches the next chunk while this one is sent
            return BlobDownload(chunks: chunks, taken: taken, reading: reading, first: first)
        } catch {
            reading.cancel()
            taken.finish()
            throw error
        }
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var first: ByteBuffer?
        var rest: AsyncThrowingStream<ByteBuffer, any Error>.AsyncIterator
        let taken: AsyncStream<Void>.Continuation

        package mutating func next() async throws -> ByteBuffer? {
            if let first = self.first {
                self.first = nil
                return first
            }
            // The stream keeps its place across iterators: this one goes on after the chunk `open` took.
            guard let chunk = try await self.rest.next() else { return nil }
            self.taken.yield()
            return chunk
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(first: self.first, rest: self.chunks.makeAsyncIterator(), taken: self.taken)
    }

    /// Stops the read (the response was not sent, or the consumer went away).
    package func close() {
        self.taken.finish()
        self.reading.cancel()
    }

    deinit {
        self.close()
    }
}
