import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
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
public struct S3BlobStore: BlobStore {
    public let configuration: S3Configuration
    let httpClient: HTTPClient
    let signer: SigV4Signer
    /// `scheme://host[:port]` of every request.
    let origin: String
    /// The path of the bucket on `origin`: `/bucket` (path style) or empty (the bucket is in the host name).
    let bucketPath: String

    /// The most bytes read of an answer that is not a blob (errors, listings, upload ids).
    static let answerLimit = 16 * 1_024 * 1_024

    public init(configuration: S3Configuration, httpClient: HTTPClient) {
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

    public func put(key: String, chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) async throws -> Int64 {
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
            if let upload { await self.abortMultipartUpload(upload) }
            throw error
        }
    }

    public func read(key: String, into consume: (ByteBuffer) async throws -> Void) async throws {
        try BlobKey.validate(key)
        let response = try await self.send("GetObject", .GET, path: self.objectPath(key), timeout: self.configuration.requestTimeout)
        guard response.status == .ok else {
            if response.status == .notFound {
                _ = try? await self.collect(response, "GetObject")
                throw BlobError.notFound(key)
            }
            throw try await self.failure(response, "GetObject")
        }
        try await self.stream(response.body, "GetObject", into: consume)
    }

    public func delete(key: String) async throws {
        try BlobKey.validate(key)
        // S3 answers 204 whether or not the object was there; some servers answer 404 for a missing one.
        _ = try await self.call("DeleteObject", .DELETE, path: self.objectPath(key), allowing: [404])
    }

    public func keys(under prefix: String) async throws -> [String] {
        try BlobKey.validate(prefix: prefix)
        var keys: [String] = []
        var continuation: String?
        repeat {
            var query = [("list-type", "2"), ("max-keys", String(self.configuration.listPageSize))]
            if !prefix.isEmpty { query.append(("prefix", prefix)) }
            if let continuation { query.append(("continuation-token", continuation)) }
            let answer = try await self.call("ListObjectsV2", .GET, path: self.bucketPath + "/", query: query)
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
    public func ping() async throws {
        _ = try await self.call("HeadBucket", .HEAD, path: self.bucketPath.isEmpty ? "/" : self.bucketPath, timeout: self.configuration.pingTimeout)
    }

    // MARK: Presigned links

    /// A URL that lets anyone holding it GET the blob for `expiresIn` seconds (at most 7 days, SigV4's limit),
    /// straight from the store. `responseContentType` and `responseContentDisposition` make the store answer with
    /// those headers (S3's `response-content-*` parameters), so a browser shows or downloads it as intended.
    public func presignedGetURL(
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

    // MARK: Objects and multipart uploads

    /// An upload in progress: its id and the parts stored so far (number, ETag).
    struct MultipartUpload {
        let key: String
        let id: String
        var parts: [(number: Int, etag: String)] = []
    }

    func putObject(key: String, bytes: ByteBuffer) async throws {
        _ = try await self.call("PutObject", .PUT, path: self.objectPath(key), body: bytes)
    }

    func createMultipartUpload(key: String) async throws -> MultipartUpload {
        let answer = try await self.call("CreateMultipartUpload", .POST, path: self.objectPath(key), query: [("uploads", "")])
        guard let id = S3XML(answer.body).first("UploadId"), !id.isEmpty else {
            throw S3Error(operation: "CreateMultipartUpload", status: 200, code: "NoUploadId", message: "the answer has no UploadId")
        }
        return MultipartUpload(key: key, id: id)
    }

    func uploadPart(_ upload: inout MultipartUpload, bytes: ByteBuffer) async throws {
        let number = upload.parts.count + 1
        let answer = try await self.call(
            "UploadPart",
            .PUT,
            path: self.objectPath(upload.key),
            query: [("partNumber", String(number)), ("uploadId", upload.id)],
            body: bytes
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
            "CompleteMultipartUpload",
            .POST,
            path: self.objectPath(upload.key),
            query: [("uploadId", upload.id)],
            headers: [("Content-Type", "application/xml")],
            body: ByteBuffer(string: xml)
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
                "AbortMultipartUpload",
                .DELETE,
                path: self.objectPath(upload.key),
                query: [("uploadId", upload.id)],
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
        let answer = try await self.call("ListMultipartUploads", .GET, path: self.bucketPath + "/", query: query)
        return S3XML(answer.body).all("Key")
    }

    /// `/bucket/key` or `/key`, encoded as S3 expects it signed (keys are validated, so nothing needs escaping in
    /// practice; the encoding keeps that true if the rule ever widens).
    func objectPath(_ key: String) -> String { "\(self.bucketPath)/\(SigV4Signer.encode(key, keepingSlashes: true))" }

    // MARK: Requests

    /// An answer that is not a blob, read whole.
    struct Answer {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    /// Sends a request and reads its (small) answer: a 2xx or an allowed status is returned, a 5xx is
    /// `BlobError.unavailable`, anything else an `S3Error`.
    func call(
        _ operation: String,
        _ method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        allowing allowed: Set<UInt> = [],
        timeout: Duration? = nil
    ) async throws -> Answer {
        let response = try await self.send(
            operation,
            method,
            path: path,
            query: query,
            headers: headers,
            body: body,
            timeout: timeout ?? self.configuration.requestTimeout
        )
        guard (200..<300).contains(response.status.code) || allowed.contains(response.status.code) else {
            throw try await self.failure(response, operation)
        }
        return Answer(status: response.status, headers: response.headers, body: try await self.collect(response, operation))
    }

    /// Signs and sends a request; its answer's head comes back within `timeout` or the store is unavailable.
    func send(
        _ operation: String,
        _ method: HTTPMethod,
        path: String,
        query: [(String, String)] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        timeout: Duration
    ) async throws -> HTTPClientResponse {
        let queryString = query.map { $0.1.isEmpty ? SigV4Signer.encode($0.0) : "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))" }
            .joined(separator: "&")
        var signed = SigV4Signer.Request(method: method.rawValue, path: path, query: queryString, headers: headers)
        signed.origin = self.origin
        let host = signed.hostFromOrigin ?? ""
        signed.headers.append(("Host", host))
        let payloadHash = body.map { $0.withUnsafeReadableBytes { SigV4Signer.sha256Hex($0) } } ?? SigV4Signer.emptyPayloadHash
        let signature = self.signer.signHeaders(signed, payloadHash: payloadHash, sendsPayloadHash: true, date: Date())

        var request = HTTPClientRequest(url: self.origin + path + (queryString.isEmpty ? "" : "?\(queryString)"))
        request.method = method
        for header in signed.headers + signature.headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        if let body { request.body = .bytes(body) }
        do {
            return try await self.httpClient.execute(request, timeout: Self.timeAmount(timeout))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw BlobError.unavailable("S3 \(operation): \(Self.describe(error)) (\(self.origin))")
        }
    }

    /// The error a non-2xx answer stands for, its XML body read for S3's code.
    func failure(_ response: HTTPClientResponse, _ operation: String) async throws -> any Error {
        let body = (try? await self.collect(response, operation)) ?? []
        let error = S3Error(operation: operation, status: Int(response.status.code), body: body)
        return response.status.code >= 500 ? BlobError.unavailable(error.description) : error
    }

    /// Reads a small answer whole, under the same stall deadline as a blob.
    func collect(_ response: HTTPClientResponse, _ operation: String) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        try await self.stream(response.body, operation) { chunk in
            guard bytes.count + chunk.readableBytes <= Self.answerLimit else {
                throw S3Error(
                    operation: operation,
                    status: Int(response.status.code),
                    code: "AnswerTooLarge",
                    message: "more than \(Self.answerLimit) bytes"
                )
            }
            bytes += chunk.readableBytesView
        }
        return bytes
    }

    /// Hands the body's chunks to `consume` one at a time, as they arrive, failing with `BlobError.unavailable` when
    /// the store sends nothing for `requestTimeout`.
    ///
    /// The body is read in a child task so a watchdog can cut a stalled read short (AsyncHTTPClient's deadline
    /// covers a request until its answer's head only); `consume` runs in the caller's task, and the next chunk is
    /// asked for only once it returns, so a slow reader holds one chunk and is never timed out itself.
    func stream(_ body: HTTPClientResponse.Body, _ operation: String, into consume: (ByteBuffer) async throws -> Void) async throws {
        let limit = self.configuration.requestTimeout
        let origin = self.origin
        let (chunks, chunkSink) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let (demand, demandSink) = AsyncStream<Void>.makeStream()
        let waitingSince = NIOLockedValueBox<ContinuousClock.Instant?>(nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var iterator = body.makeAsyncIterator()
                var wanted = demand.makeAsyncIterator()
                do {
                    while true {
                        waitingSince.withLockedValue { $0 = .now }
                        guard let chunk = try await iterator.next() else { break }
                        waitingSince.withLockedValue { $0 = nil }
                        chunkSink.yield(chunk)
                        guard await wanted.next() != nil else { return }
                    }
                    waitingSince.withLockedValue { $0 = nil }
                    chunkSink.finish()
                } catch {
                    waitingSince.withLockedValue { $0 = nil }
                    chunkSink.finish(throwing: BlobError.unavailable("S3 \(operation): the answer broke off: \(Self.describe(error)) (\(origin))"))
                }
            }
            group.addTask {
                while true {
                    try await Task.sleep(for: limit / 8)
                    if let since = waitingSince.withLockedValue({ $0 }), ContinuousClock.now - since > limit {
                        chunkSink.finish(throwing: BlobError.unavailable("S3 \(operation): nothing received for \(limit) (\(origin))"))
                        return
                    }
                }
            }
            defer { group.cancelAll() }
            for try await chunk in chunks {
                try await consume(chunk)
                demandSink.yield()
            }
        }
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// AsyncHTTPClient's and NIO's errors in a few words.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded: return "no answer within the deadline"
            case .connectTimeout: return "could not connect in time"
            case .remoteConnectionClosed: return "the connection was closed"
            case .readTimeout: return "the answer stalled"
            default: return "\(error)"
            }
        }
        return "\(error)"
    }
}
