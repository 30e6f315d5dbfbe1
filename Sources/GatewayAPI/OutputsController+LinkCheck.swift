import Blobs
import Generation
import HTTPTypes
import Hummingbird

extension OutputsController {
    /// Under `accel`, nginx's question before it sends an output itself (`deploy/nginx/imagegate-accel.conf`): is this
    /// link good, which file is it, and how long may the answer be kept?
    ///
    /// Yes is `200` with the file's key, the headers a reader gets and `X-Accel-Expires`; nginx keeps that answer and
    /// sends the file without asking again until it runs out. Anything else, a bad link or a database that cannot be
    /// read, is `403`: nginx then passes the reader's own request here, which gets the exact answer (`404`, `410
    /// output_expired`, `503`).
    ///
    /// Kept answers must end before the link does, so the `410` stays exact: nginx counts whole seconds and serves a
    /// kept answer through the second it ends in, so the time given is the whole seconds left less two (one for
    /// nginx's rounding, one for its clock, which it reads once per event loop pass), and nothing when that is not
    /// positive.
    func answerLinkCheck(_ request: Request, context: GatewayRequestContext) async -> Response {
        guard let (output, now, validUntil) = try? await self.checkedOutput(request, context: context, validSignature: self.signer.isValid),
            // nginx takes the type from the link's extension, which the signature does not cover: another extension
            // than the output's own is answered by the replica, with the stored type.
            request.uri.path.hasSuffix(".\(OutputLinks.fileExtension(output.contentType))")
        else { return Response(status: .forbidden) }
        let keptSeconds = min(OutputDelivery.longestKeptCheckSeconds, (validUntil - now) / 1000 - 2)
        var headers = Self.headers(of: output, now: now)
        headers[OutputDelivery.checkedBlob] = output.blobKey
        headers[HTTPField.Name("X-Accel-Expires")!] = String(max(0, keptSeconds))
        return Response(status: .ok, headers: headers)
    }
}
