import Blobs
import CoreMetrics
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import Metrics
import Storage

/// `GET|HEAD /v1/outputs/{id}.{ext}?expires=…&sig=…`: serves a stored image through its signed link.
///
/// The link needs no API key (it is meant to be shared or put in an `<img>`); the signature makes it unforgeable.
/// Past the link's signed expiry or the output's own, the answer is 410 `output_expired`, whether or not the janitor
/// has deleted the file yet.
struct OutputsController {
    let outputs: OutputStore
    let blobs: any BlobStore
    let signer: OutputLinkSigner
    let clock: any WallClock
    static var bytesServed: Counter { Counter(label: "imagegate_output_bytes_served_total") }

    func addRoutes(to group: RouterGroup<GatewayRequestContext>) {
        group.get("outputs/:file", use: self.serve)
        group.head("outputs/:file", use: self.serve)
    }

    @Sendable func serve(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let file = context.parameters.get("file") ?? ""
        let outputID = String(file.prefix { $0 != "." })
        let query = request.uri.queryParameters
        guard let expires = query["expires"].flatMap({ Int64(String($0)) }), let signature = query["sig"].map(String.init),
            self.signer.isValid(signature: signature, outputID: outputID, expires: expires),
            let output = try await self.outputs.get(id: outputID)
        else {
            throw APIError.notFound("No such output.")
        }
        let now = self.clock.nowMillis()
        // The link carries its own expiry (signed, in seconds) and the row has the generation's: both must hold,
        // so a link can never outlive what it was issued for, whatever the row says later.
        let linkValid = expires < Int64.max / 1000 && now < expires * 1000
        guard linkValid, now < output.expiresAt, output.deletedAt == nil else { throw APIError.outputExpired }

        let maxAge = max(0, (output.expiresAt - now) / 1000)
        var headers: HTTPFields = [
            .contentType: output.contentType,
            .eTag: output.etag,
            .cacheControl: "private, max-age=\(maxAge), immutable",
        ]
        headers[.contentDisposition] = "inline; filename=\"\(file)\""
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == output.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(output.byteCount)
        if request.method == .head {
            return Response(status: .ok, headers: headers)
        }
        let blobs = self.blobs
        let key = output.blobKey
        return Response(
            status: .ok,
            headers: headers,
            body: ResponseBody(contentLength: Int(output.byteCount)) { writer in
                try await blobs.read(key: key) { chunk in
                    OutputsController.bytesServed.increment(by: chunk.readableBytes)
                    try await writer.write(chunk)
                }
                try await writer.finish(nil)
            }
        )
    }
}
