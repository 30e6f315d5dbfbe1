import Blobs
import CoreMetrics
import Foundation
import Generation
import HTTPTypes
import Hummingbird
import Imaging
import Logging

extension OutputsController {
    /// `GET|HEAD /v1/thumbnails/{id}.jpg?expires=…&sig=…`: a small JPEG of an output (at most 256 px a side), for
    /// lists such as the playground's history. Its link is signed like the output's (with a subject of its own) and
    /// expires with it: 410 `output_expired` past the retention, as the output.
    ///
    /// Always sent by ImageGate itself, whatever `--output-delivery` says: it is a few kilobytes, made on first use.
    @Sendable func serveThumbnail(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let (output, now, _) = try await self.checkedOutput(request, context: context, validSignature: self.signer.isValidThumbnail)
        let etag = Self.thumbnailETag(output.etag)
        var headers: HTTPFields = [
            .contentType: "image/jpeg",
            .eTag: etag,
            .cacheControl: Self.cacheControl(of: output, now: now),
        ]
        headers[.contentDisposition] = "inline; filename=\"\(output.id)-thumbnail.jpg\""
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        let bytes: [UInt8]
        do {
            bytes = try await self.outputs.thumbnail(of: output)
        } catch BlobError.notFound {
            throw APIError.notFound("No such output.")
        } catch let error as ImagingError {
            // An output libvips cannot read has no preview; the full image's own link still says what it is.
            context.logger.warning("thumbnail failed", metadata: ["output": "\(output.id)", "error": "\(error)"])
            throw APIError.notFound("This output has no preview.")
        }
        headers[.contentLength] = String(bytes.count)
        guard request.method != .head else { return Response(status: .ok, headers: headers) }
        OutputsController.bytesServed.increment(by: bytes.count)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The thumbnail's entity tag: the output's (a quoted hash of its bytes) with a suffix, so the two never match.
    static func thumbnailETag(_ outputETag: String) -> String {
        let inner = outputETag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return "\"\(inner)-thumbnail\""
    }
}
