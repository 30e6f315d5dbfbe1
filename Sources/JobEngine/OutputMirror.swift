import AsyncHTTPClient
import Blobs
import Essentials
import Foundation
import Generation
import Imaging
import NIOCore
import NIOHTTP1
import Providers

/// What was stored for one output image.
package struct StoredOutput: Sendable, Equatable {
    package let contentType: String
    package let byteCount: Int64
    package let width: Int?
    package let height: Int?
}

/// Puts provider images into the blob store. In-memory images are written as they are; upstream images are
/// streamed from their URL into the store chunk by chunk (never held whole), with their type and size checked.
package struct OutputMirror: Sendable {
    let blobs: any BlobStore
    let httpClient: HTTPClient
    let maxBytes: Int
    let timeout: TimeAmount
    /// Tries of one download.
    let maxAttempts: Int

    package init(blobs: any BlobStore, httpClient: HTTPClient, maxBytes: Int, timeout: TimeAmount = .seconds(60), maxAttempts: Int = 4) {
        self.blobs = blobs
        self.httpClient = httpClient
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.maxAttempts = maxAttempts
    }

    /// Errors that make one image undeliverable.
    package enum MirrorError: Error, Equatable, Sendable {
        case httpStatus(UInt)
        case wrongContentType(String)
        case tooLarge
        case empty

        /// Whether trying again may succeed: a busy or failing server, not a missing or wrong file.
        var isTransient: Bool {
            if case .httpStatus(let code) = self { return code == 408 || code == 429 || code >= 500 }
            return false
        }
    }

    package func store(_ image: ProviderImage, key: String, expectedFormat: ImageFormat) async throws -> StoredOutput {
        switch image {
        case .bytes(let bytes, let contentType, let width, let height):
            guard !bytes.isEmpty else { throw MirrorError.empty }
            let count = try await self.blobs.put(key: key, bytes: bytes)
            return StoredOutput(contentType: contentType, byteCount: count, width: width, height: height)
        case .remote(let url, _, let width, let height):
            // The upstream billed this image: a blip on the download must not refund it. Transport errors and
            // 408/429/5xx are tried again (a partly written copy is replaced); a 404 is the store's final word.
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await self.download(url, key: key, width: width, height: height)
                } catch let error as MirrorError where !error.isTransient {
                    throw error
                } catch {
                    if Task.isCancelled || attempt >= self.maxAttempts { throw error }
                    try await Task.sleep(for: .milliseconds(Int(200 * pow(2, Double(attempt - 1)) * Double.random(in: 0.5...1))))
                }
            }
        }
    }

    /// One download of a remote image into the store, size-checked on the way.
    func download(_ url: String, key: String, width: Int?, height: Int?) async throws -> StoredOutput {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "image/png, image/jpeg, image/webp")
        let response = try await self.httpClient.execute(request, timeout: self.timeout)
        guard response.status == .ok else { throw MirrorError.httpStatus(response.status.code) }
        let contentType = response.headers.first(name: "content-type")?.split(separator: ";").first.map(String.init) ?? ""
        guard ["image/png", "image/jpeg", "image/webp"].contains(contentType.lowercased()) else {
            throw MirrorError.wrongContentType(contentType)
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > self.maxBytes { throw MirrorError.tooLarge }
        let count = try await self.blobs.put(key: key, chunks: CappedChunks(response.body, maxBytes: self.maxBytes, tooLarge: MirrorError.tooLarge))
        guard count > 0 else {
            try? await self.blobs.delete(key: key)
            throw MirrorError.empty
        }
        return StoredOutput(contentType: contentType.lowercased(), byteCount: count, width: width, height: height)
    }
}
