import Crypto
import Foundation
import NIOCore
import Synchronization

/// Passes a stream of chunks through unchanged while hashing it: what a store writes can then be checked (a copy's
/// MD5) without a second read.
package final class HashingChunks<Base: AsyncSequence & Sendable, Hash: HashFunction>: AsyncSequence, Sendable
where Base.Element == ByteBuffer {
    package typealias Element = ByteBuffer
    let base: Base
    private let state = LockedHasher<Hash>()

    /// Hashes every chunk of `base`, however many.
    package init(_ base: Base, hash: Hash.Type) {
        self.base = base
    }

    /// The hash of every chunk passed so far; call once, after the last.
    package func digest() -> Hash.Digest { self.state.finish() }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let owner: HashingChunks

        package mutating func next() async throws -> ByteBuffer? {
            guard let chunk = try await self.base.next() else { return nil }
            self.owner.state.update(chunk)
            return chunk
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: self.base.makeAsyncIterator(), owner: self) }
}

/// The running hash, guarded because the sequence is Sendable (one iteration updates it; the caller reads it after).
final class LockedHasher<Hash: HashFunction>: Sendable {
    private let hasher = Mutex(Hash())

    func update(_ chunk: ByteBuffer) {
        self.hasher.withLock { hasher in chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
    }

    func finish() -> Hash.Digest {
        self.hasher.withLock { $0.finalize() }
    }
}
