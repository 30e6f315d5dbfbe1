import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOPosix
import StorageTestSupport
import Testing

@testable import Blobs

/// The S3 store the suite runs against (`TestS3Server.url`).
enum TestS3 {
    static var url: String? { TestS3Server.url }

    /// `seaweedfs` or `moto`, from the URL's `server` parameter.
    static var server: String? {
        Self.url.flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "server" }?.value }
    }

    static var configuration: S3Configuration {
        get throws {
            var configuration = try S3Configuration(url: try #require(Self.url))
            configuration.partSize = S3Configuration.minimumPartSize
            configuration.requestTimeout = .seconds(20)
            return configuration
        }
    }

    static func store(_ change: (inout S3Configuration) -> Void = { _ in }) throws -> S3BlobStore {
        var configuration = try Self.configuration
        change(&configuration)
        return S3BlobStore(configuration: configuration, httpClient: .shared)
    }
}
