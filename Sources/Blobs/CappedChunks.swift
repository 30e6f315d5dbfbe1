import NIOCore

/// Passes a stream of chunks through unchanged and refuses to go past a size cap: a download is stopped at the cap
/// instead of filling the store with what it would refuse anyway.
package struct CappedChunks<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    package typealias Element = ByteBuffer
    let base: Base
    /// At most this many bytes pass; past them `tooLarge` is thrown.
    let maxBytes: Int
    let tooLarge: any Error & Sendable

    package init(_ base: Base, maxBytes: Int, tooLarge: any Error & Sendable) {
        self.base = base
        self.maxBytes = maxBytes
        self.tooLarge = tooLarge
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let maxBytes: Int
        let tooLarge: any Error & Sendable
        var total = 0

        package mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await self.base.next() else { return nil }
            self.total += chunk.readableBytes
            if self.total > self.maxBytes { throw self.tooLarge }
            return chunk
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: self.base.makeAsyncIterator(), maxBytes: self.maxBytes, tooLarge: self.tooLarge)
    }
}
