import Foundation
import NIOHTTP1

extension S3BlobStore {
    /// `HeadObject`: the object's size and ETag, nil on 404.
    package func info(key: String) async throws -> BlobInfo? {
        try BlobKey.validate(key)
        let answer = try await self.call(S3Request("HeadObject", .HEAD, path: self.objectPath(key)), allowing: [404])
        guard answer.status != .notFound else { return nil }
        guard let size = answer.headers.first(name: "Content-Length").flatMap({ Int64($0) }) else {
            throw S3Error(
                operation: "HeadObject",
                status: Int(answer.status.code),
                code: "NoContentLength",
                message: "the answer has no Content-Length"
            )
        }
        let etag = answer.headers.first(name: "ETag").map { $0.trimmingCharacters(in: ["\""]) }
        return BlobInfo(size: size, etag: etag)
    }
}
