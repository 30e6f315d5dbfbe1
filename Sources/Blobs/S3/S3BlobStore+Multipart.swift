import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Blobs larger than one part: a multipart upload, created, filled part by part and completed, or aborted on any
/// failure so that nothing half-written becomes visible.
extension S3BlobStore {
    /// An upload in progress: its id and the parts stored so far (number, ETag).
    struct MultipartUpload {
        let key: String
        let id: String
        var parts: [(number: Int, etag: String)] = []
    }

    func putObject(key: String, bytes: ByteBuffer) async throws {
        _ = try await self.call(S3Request("PutObject", .PUT, path: self.objectPath(key), body: bytes))
    }

    func createMultipartUpload(key: String) async throws -> MultipartUpload {
        let answer = try await self.call(S3Request("CreateMultipartUpload", .POST, path: self.objectPath(key), query: [("uploads", "")]))
        guard let id = S3XML(answer.body).first("UploadId"), !id.isEmpty else {
            throw S3Error(operation: "CreateMultipartUpload", status: 200, code: "NoUploadId", message: "the answer has no UploadId")
        }
        return MultipartUpload(key: key, id: id)
    }

    func uploadPart(_ upload: inout MultipartUpload, bytes: ByteBuffer) async throws {
        let number = upload.parts.count + 1
        let answer = try await self.call(
            S3Request(
                "UploadPart",
                .PUT,
                path: self.objectPath(upload.key),
                query: [("partNumber", String(number)), ("uploadId", upload.id)],
                body: bytes
            )
        )
        guard let etag = answer.headers.first(name: "etag") else {
            throw S3Error(operation: "UploadPart", status: 200, code: "NoETag", message: "the answer has no ETag")
        }
        upload.parts.append((number, etag))
    }

    func completeMultipartUpload(_ upload: MultipartUpload) async throws {
        let parts = upload.parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(S3XML.escape($0.etag))</ETag></Part>" }
        let xml = "<CompleteMultipartUpload>\(parts.joined())</CompleteMultipartUpload>"
        let answer = try await self.call(
            S3Request(
                "CompleteMultipartUpload",
                .POST,
                path: self.objectPath(upload.key),
                query: [("uploadId", upload.id)],
                headers: [("Content-Type", "application/xml")],
                body: ByteBuffer(string: xml)
            )
        )
        // S3 may answer 200 and still fail: the error is then in the body.
        let body = S3XML(answer.body)
        if let code = body.first("Code"), body.text.contains("<Error>") {
            let error = S3Error(operation: "CompleteMultipartUpload", status: 200, code: code, message: body.first("Message") ?? "")
            throw code == "InternalError" || code == "SlowDown" ? BlobError.unavailable(error.description) : error
        }
    }

    /// Aborts an upload, even when the task that ran it was cancelled (a cancelled task's requests fail at once, and
    /// the parts would stay stored). Failures are ignored: the upload stays pending and invisible.
    func abortMultipartUpload(_ upload: MultipartUpload) async {
        let task = Task {
            _ = try? await self.call(
                S3Request("AbortMultipartUpload", .DELETE, path: self.objectPath(upload.key), query: [("uploadId", upload.id)]),
                allowing: [404]
            )
        }
        await task.value
    }

    /// The keys of the multipart uploads in progress under `prefix`, for tests (and an operator) to see that none
    /// was left behind.
    func pendingMultipartUploads(under prefix: String) async throws -> [String] {
        var query = [("uploads", "")]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        let answer = try await self.call(S3Request("ListMultipartUploads", .GET, path: self.bucketPath + "/", query: query))
        return S3XML(answer.body).all("Key")
    }
}
