import Blobs
import Essentials
import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import Imaging
import Storage
import StorageTestSupport
import Testing

/// `GET /v1/thumbnails/{file}`: a small JPEG of each output, made once and stored beside it, signed like it with a
/// subject of its own, and gone with it.
@Suite struct ThumbnailTests {
    @Test func aTwoKOutputsThumbnailIsASmallJPEGStoredOnceAndExpiringWithIt() async throws {
        let (instance, clock) = try await LifecycleTests.shortRetention()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let json = try await client.generate(quickstartBody, key: instance.apiKey).json()
            let image = try #require((json["images"] as? [[String: Any]])?.first)
            let url = try pathAndQuery(try #require(image["thumbnail_url"] as? String))
            #expect(url.hasPrefix("/v1/thumbnails/"))
            let first = try await client.get(url)
            #expect(first.status == .ok)
            #expect(first.headers[.contentType] == "image/jpeg")
            let bytes = Array(first.body.readableBytesView)
            #expect(bytes.count < 30_000, "a 2848×1600 output's thumbnail is \(bytes.count) bytes")
            let probe = try ImageProbe.inspect(bytes, decodePixels: true)
            #expect(probe.format == .jpeg && probe.width == 256 && probe.height == 144)
            // Made once: the stored copy answers the next request, byte for byte.
            #expect(try Self.files(instance, "thumbnails").count == 1)
            #expect(Array(try await client.get(url).body.readableBytesView) == bytes)
            let etag = try #require(first.headers[.eTag])
            let cached = try await client.execute(uri: url, method: .get, headers: [.ifNoneMatch: etag])
            #expect(cached.status == .notModified)

            // Past the retention: 410 as for the output, and the janitor deletes the thumbnail with it.
            clock.advance(byMillis: 21_000)
            let expired = try await client.get(url)
            #expect(expired.status == .gone)
            #expect(try expired.json()["code"] as? String == "output_expired")
            for _ in 0..<300 where try !Self.files(instance, "thumbnails").isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(try Self.files(instance, "thumbnails").isEmpty, "the thumbnail goes with its output")
    }

    @Test func aThumbnailsLinkNeverOpensTheFullImageNorTheReverse() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let json = try await client.generate(quickstartBody, key: instance.apiKey).json()
            let image = try #require((json["images"] as? [[String: Any]])?.first)
            let output = try pathAndQuery(try #require(image["url"] as? String))
            let thumbnail = try pathAndQuery(try #require(image["thumbnail_url"] as? String))
            let outputQuery = String(try #require(output.split(separator: "?").last))
            let thumbnailQuery = String(try #require(thumbnail.split(separator: "?").last))
            let outputFile = String(try #require(output.split(separator: "?").first?.split(separator: "/").last))
            let thumbnailFile = String(try #require(thumbnail.split(separator: "?").first?.split(separator: "/").last))
            #expect(try await client.get("/v1/outputs/\(outputFile)?\(thumbnailQuery)").status == .notFound)
            #expect(try await client.get("/v1/thumbnails/\(thumbnailFile)?\(outputQuery)").status == .notFound)
            #expect(try await client.get(thumbnail.replacingOccurrences(of: "sig=", with: "sig=0")).status == .notFound)
            #expect(try await client.get(thumbnail).status == .ok)
        }
    }

    /// The blobs under `folder` on the instance's disk.
    static func files(_ instance: TestInstance, _ folder: String) throws -> [String] {
        let path = "\(instance.directory)/blobs/\(folder)"
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try FileManager.default.subpathsOfDirectory(atPath: path).filter { $0.contains("/") && !$0.hasSuffix("/") }
    }
}
