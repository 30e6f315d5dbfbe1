import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOPosix
import Testing

@testable import Blobs

/// An upload's bytes, optionally failing after the last buffer (a generation that breaks off mid-image).
struct Chunks: AsyncSequence, Sendable {
    let buffers: [ByteBuffer]
    let failure: (any Error & Sendable)?

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        let failure: (any Error & Sendable)?

        mutating func next() async throws -> ByteBuffer? {
            if let buffer = self.remaining.popFirst() { return buffer }
            if let failure = self.failure { throw failure }
            return nil
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: self.buffers[...], failure: self.failure) }
}

/// The failure a `Chunks` upload breaks off with.
struct StreamBroke: Error {}
