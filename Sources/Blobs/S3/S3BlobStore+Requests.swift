import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Signing and sending one request to the store, and reading its answer or the error it stands for.
extension S3BlobStore {
    /// An answer that is not a blob, read whole.
    struct Answer {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: [UInt8]
    }

    /// Sends a request and reads its (small) answer: a 2xx or an allowed status is returned, a 5xx is
    /// `BlobError.unavailable`, anything else an `S3Error`.
    func call(_ request: S3Request, allowing allowed: Set<UInt> = [], timeout: Duration? = nil) async throws -> Answer {
        let response = try await self.send(request, timeout: timeout ?? self.configuration.requestTimeout)
        guard (200..<300).contains(response.status.code) || allowed.contains(response.status.code) else {
            throw try await self.failure(response, request.operation)
        }
        return Answer(status: response.status, headers: response.headers, body: try await self.collect(response, request.operation))
    }

    /// Signs and sends a request; its answer's head comes back within `timeout` or the store is unavailable.
    func send(_ request: S3Request, timeout: Duration) async throws -> HTTPClientResponse {
        let queryString = request.queryString
        var signed = SigV4Signer.Request(method: request.method.rawValue, path: request.path, query: queryString, headers: request.headers)
        signed.origin = self.origin
        let host = signed.hostFromOrigin ?? ""
        signed.headers.append(("Host", host))
        let payloadHash = request.body.map { $0.withUnsafeReadableBytes { SigV4Signer.sha256Hex($0) } } ?? SigV4Signer.emptyPayloadHash
        let signature = self.signer.signHeaders(signed, payloadHash: payloadHash, sendsPayloadHash: true, date: Date())

        var outgoing = HTTPClientRequest(url: self.origin + request.path + (queryString.isEmpty ? "" : "?\(queryString)"))
        outgoing.method = request.method
        for header in signed.headers + signature.headers { outgoing.headers.replaceOrAdd(name: header.name, value: header.value) }
        if let body = request.body { outgoing.body = .bytes(body) }
        do {
            return try await self.httpClient.execute(outgoing, timeout: Self.timeAmount(timeout))
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw BlobError.unavailable("S3 \(request.operation): \(Self.describe(error)) (\(self.origin))")
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
}
