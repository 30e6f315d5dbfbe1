import AsyncHTTPClient
import Essentials
import Foundation
import NIOCore
import NIOHTTP1

/// Blobs as objects in an S3 bucket (AWS S3 or an S3-compatible server), for replicas that share no disk.
///
/// The same promises as `FileBlobStore`: a blob is complete or invisible (one `PUT`, or a multipart upload that only
/// appears when completed and is aborted on any failure), `put` replaces, deleting a missing blob is fine, and
/// listings show complete blobs only. Memory per upload is at most one part (`S3Configuration.partSize`); reads
/// stream each chunk to the caller as it arrives.
///
/// Every request has a deadline (`requestTimeout`, `pingTimeout`): a store that cannot be reached, stalls or answers
/// 5xx is `BlobError.unavailable` (a caller answers 503), never a hang; a store that refuses (keys, permissions) is
/// `S3Error`. AsyncHTTPClient retries a refused connection until its connect timeout: a client made with a short
/// one (or `retryConnectionEstablishment` off) fails faster than the deadline.
///
/// A multipart upload whose abort could not reach the store stays pending (invisible, but stored): a bucket
/// lifecycle rule that aborts incomplete uploads after a day cleans those up.
package struct S3BlobStore: BlobStore {
    package let configuration: S3Configuration
    let httpClient: HTTPClient
    let signer: SigV4Signer
    /// `scheme://host[:port]` of every request.
    let origin: String
    /// The path of the bucket on `origin`: `/bucket` (path style) or empty (the bucket is in the host name).
    let bucketPath: String

    /// The most bytes read of an answer that is not a blob (errors, listings, upload ids).
    static let answerLimit = 16 * 1_024 * 1_024

    package init(configuration: S3Configuration, httpClient: HTTPClient) {
        self.configuration = configuration
        self.httpClient = httpClient
        self.signer = SigV4Signer(
            credentials: .init(
                accessKeyID: configuration.accessKeyID,
                secretAccessKey: configuration.secretAccessKey,
                sessionToken: configuration.sessionToken
            ),
            region: configuration.region,
            service: "s3"
        )
        let endpoint = configuration.endpoint ?? "https://s3.\(configuration.region).amazonaws.com"
        if configuration.pathStyle {
            self.origin = endpoint
            self.bucketPath = "/\(SigV4Signer.encode(configuration.bucket))"
        } else {
            let separator = endpoint.range(of: "://")!
            self.origin = "\(endpoint[..<separator.upperBound])\(configuration.bucket).\(endpoint[separator.upperBound...])"
            self.bucketPath = ""
        }
    }

    // MARK: BlobStore

    package func put(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64 {
        try BlobKey.validate(key)
        let partSize = self.configuration.partSize
        var part = ByteBuffer()
        var upload: MultipartUpload?
        var total: Int64 = 0
        do {
            for try await var chunk in chunks {
                total += Int64(chunk.readableBytes)
                while chunk.readableBytes > 0 {
                    // A full part is sent only once more bytes come: a blob that ends within one part is one PUT.
                    if part.readableBytes == partSize {
                        if upload == nil { upload = try await self.createMultipartUpload(key: key) }
                        try await self.uploadPart(&upload!, bytes: part)
                        part.clear()
                    }
                    var slice = chunk.readSlice(length: min(chunk.readableBytes, partSize - part.readableBytes))!
                    if part.capacity == 0 { part.reserveCapacity(minimumWritableBytes: min(partSize, max(slice.readableBytes, 64 * 1_024))) }
                    part.writeBuffer(&slice)
                }
            }
            guard var multipart = upload else {
                try await self.putObject(key: key, bytes: part)
                return total
            }
            try await self.uploadPart(&multipart, bytes: part)
            try await self.completeMultipartUpload(multipart)
            return total
        } catch {
            BlobWriteFailures.record(store: "s3")
            if let upload { await self.abortMultipartUpload(upload) }
            throw error
        }
    }

    package func read(key: String, into consume: (ByteBuffer) async throws -> Void) async throws {
        try BlobKey.validate(key)
        let response = try await self.send(S3Request("GetObject", .GET, path: self.objectPath(key)), timeout: self.configuration.requestTimeout)
        guard response.status == .ok else {
            if response.status == .notFound {
                _ = try? await self.collect(response, "GetObject")
                throw BlobError.notFound(key)
            }
            throw try await self.failure(response, "GetObject")
        }
        try await self.stream(response.body, "GetObject", into: consume)
    }

    package func delete(key: String) async throws {
        try BlobKey.validate(key)
        // S3 answers 204 whether or not the object was there; some servers answer 404 for a missing one.
        _ = try await self.call(S3Request("DeleteObject", .DELETE, path: self.objectPath(key)), allowing: [404])
    }

    package func keys(under prefix: String) async throws -> [String] {
        try BlobKey.validate(prefix: prefix)
        var keys: [String] = []
        var continuation: String?
        repeat {
            var query = [("list-type", "2"), ("max-keys", String(self.configuration.listPageSize))]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let continuation { query.append(("continuation-token", continuation)) }
            let answer = try await self.call(S3Request("ListObjectsV2", .GET, path: self.bucketPath + "/", query: query))
            let xml = S3XML(answer.body)
            // Keys no ImageGate store could have written are left out: they cannot be read or deleted through here.
            keys += xml.all("Key").filter { (try? BlobKey.validate($0)) != nil }
            guard xml.first("IsTruncated") == "true" else { break }
            // A truncated page without a new token would end the listing early (a migration would skip keys) or
            // loop forever: refuse it.
            guard let next = xml.first("NextContinuationToken"), !next.isEmpty, next != continuation else {
                throw S3Error(
                    operation: "ListObjectsV2",
                    status: 200,
                    code: "NoContinuationToken",
                    message: "a truncated listing without a new token"
                )
            }
            continuation = next
        } while true
        return keys
    }

    /// `HeadBucket`: the store answers, the keys are accepted and the bucket exists, within `pingTimeout`.
    package func ping() async throws {
        _ = try await self.call(
            S3Request("HeadBucket", .HEAD, path: self.bucketPath.isEmpty ? "/" : self.bucketPath),
            timeout: self.configuration.pingTimeout
        )
    }

    // MARK: Presigned links

    /// A URL that lets anyone holding it GET the blob for `expiresIn` seconds (at most 7 days, SigV4's limit),
    /// straight from the store. `responseContentType` and `responseContentDisposition` make the store answer with
    /// those headers (S3's `response-content-*` parameters), so a browser shows or downloads it as intended.
    package func presignedGetURL(
        key: String,
        expiresIn: Int,
        responseContentType: String?,
        responseContentDisposition: String?,
        now: Date = Date()
    ) -> String {
        var query: [String] = []
        if let responseContentDisposition { query.append("response-content-disposition=\(SigV4Signer.encode(responseContentDisposition))") }
        if let responseContentType { query.append("response-content-type=\(SigV4Signer.encode(responseContentType))") }
        var request = SigV4Signer.Request(method: "GET", path: self.objectPath(key), query: query.joined(separator: "&"))
        request.origin = self.origin
        let presigned = self.signer.presign(request, expires: min(max(expiresIn, 1), 604_800), date: now)
        return presigned.url!
    }

    /// `/bucket/key` or `/key`, encoded as S3 expects it signed (keys are validated, so nothing needs escaping in
    /// practice; the encoding keeps that true if the rule ever widens).
    func objectPath(_ key: String) -> String { "\(self.bucketPath)/\(SigV4Signer.encode(key, keepingSlashes: true))" }
}
