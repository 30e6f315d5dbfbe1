import Blobs
import CoreMetrics
import Essentials
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import Metrics

/// `GET|HEAD /v1/outputs/{id}.{ext}?expires=…&sig=…`: serves a stored image through its signed link.
///
/// The link needs no API key (it is meant to be shared or put in an `<img>`); the signature makes it unforgeable.
/// Past the link's signed expiry or the output's own, the answer is 410 `output_expired`, whether or not the janitor
/// has deleted the file yet.
struct OutputsController {
    let outputs: OutputReads
    let signer: OutputLinkSigner
    let clock: any WallClock
    var delivery = OutputDelivery.proxy
    static var bytesServed: Counter { Counter(label: "imagegate_output_bytes_served_total") }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("outputs/:file", use: self.serve)
        group.head("outputs/:file", use: self.serve)
        group.get("thumbnails/:file", use: self.serveThumbnail)
        group.head("thumbnails/:file", use: self.serveThumbnail)
    }

    /// The output a signed link names, once its signature, its expiry and the output's own have been checked: a
    /// wrong signature or an unknown id is 404, an expired link or output 410 `output_expired`. `validUntil` is when
    /// the first of the two expiries comes (milliseconds).
    func checkedOutput(
        _ request: Request,
        context: GatewayRequestContext,
        validSignature: (_ signature: String, _ outputID: String, _ expires: Int64) -> Bool
    ) async throws -> (output: OutputRecord, now: Int64, validUntil: Int64) {
        let file = context.parameters.get("file") ?? ""
        let outputID = String(file.prefix { $0 != "." })
        let query = request.uri.queryParameters
        guard let expires = query["expires"].flatMap({ Int64(String($0)) }), let signature = query["sig"].map(String.init),
            validSignature(signature, outputID, expires),
            let output = try await self.outputs.output(id: outputID)
        else {
            throw APIError.notFound("No such output.")
        }
        let now = self.clock.nowMillis()
        // The link carries its own expiry (signed, in seconds) and the row has the generation's: both must hold,
        // so a link can never outlive what it was issued for, whatever the row says later.
        let linkValid = expires < Int64.max / 1000 && now < expires * 1000
        guard linkValid, now < output.expiresAt, output.deletedAt == nil else { throw APIError.outputExpired }
        return (output, now, min(expires * 1000, output.expiresAt))
    }

    @Sendable func serve(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        if case .accel = self.delivery, request.headers[OutputDelivery.linkCheck] != nil {
            return await self.answerLinkCheck(request, context: context)
        }
        let (output, now, _) = try await self.checkedOutput(request, context: context, validSignature: self.signer.isValid)
        var headers = Self.headers(of: output, now: now)
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == output.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        if request.method == .head {
            headers[.contentLength] = String(output.byteCount)
            return Response(status: .ok, headers: headers)
        }
        switch self.delivery {
        case .proxy:
            return try await self.stream(output, headers: headers)
        case .redirect(let store, let seconds):
            // Never longer than the output lives: the store's link must not outlive ImageGate's.
            let location = store.presignedGetURL(
                key: output.blobKey,
                expiresIn: max(1, min(seconds, Int((output.expiresAt - now) / 1000))),
                responseContentType: output.contentType,
                responseContentDisposition: headers[.contentDisposition],
                now: Date()  // the store judges the link by its own (real) clock
            )
            // The 302 itself must not be kept: the store's link dies in minutes, the output's own link lives on.
            return Response(status: .found, headers: [.location: location, .cacheControl: "no-store", .eTag: output.etag])
        case .accel(let prefix):
            // No body and no length: nginx replaces this answer's body with the file's and keeps these headers.
            // The extension picks nginx's Content-Type (its internal location strips it to find the file).
            headers[HTTPField.Name("X-Accel-Redirect")!] = "\(prefix)\(output.blobKey).\(OutputLinks.fileExtension(output.contentType))"
            return Response(status: .ok, headers: headers)
        }
    }

    /// What every delivery mode answers about an output: its type, its ETag, how long a browser may keep it and its
    /// file name.
    static func headers(of output: OutputRecord, now: Int64) -> HTTPFields {
        [
            .contentType: output.contentType,
            .eTag: output.etag,
            .cacheControl: Self.cacheControl(of: output, now: now),
            // Named from the record, never from the path the client sent (it goes into a header, and into a signed link).
            .contentDisposition: "inline; filename=\"\(output.id).\(OutputLinks.fileExtension(output.contentType))\"",
        ]
    }

    /// How long a browser may keep an output, or its thumbnail: no longer than the output lives.
    static func cacheControl(of output: OutputRecord, now: Int64) -> String {
        "private, max-age=\(max(0, (output.expiresAt - now) / 1000)), immutable"
    }

    /// Sends the bytes from the store. The read is opened before the status is chosen, so a store that cannot be
    /// reached is a 503 with `Retry-After`, not a 200 that breaks off.
    func stream(_ output: OutputRecord, headers: HTTPFields) async throws -> Response {
        var headers = headers
        let download: BlobDownload
        do {
            download = try await self.outputs.open(output)
        } catch BlobError.notFound {
            throw APIError.notFound("No such output.")
        }
        headers[.contentLength] = String(output.byteCount)
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody(contentLength: Int(output.byteCount)) { writer in
                defer { download.close() }
                for try await chunk in download {
                    OutputsController.bytesServed.increment(by: chunk.readableBytes)
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            }
        )
    }
}
