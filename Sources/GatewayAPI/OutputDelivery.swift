import Blobs
import Foundation
import HTTPTypes

/// How the bytes of an output reach the reader once ImageGate has checked its link (`--output-delivery`). The link,
/// its expiry and `410 output_expired` are ImageGate's in every mode; only who sends the bytes differs.
package enum OutputDelivery: Sendable {
    /// ImageGate streams the bytes itself (the default; works with every store, with or without a proxy in front).
    case proxy
    /// ImageGate answers `302` to a presigned GET on the object store, valid for `seconds`: the store sends the
    /// bytes. Needs a store that can presign (S3).
    case redirect(store: any PresigningBlobStore, seconds: Int)
    /// nginx sends the file from the blobs' disk with `sendfile`, once a replica has said yes to its link check (kept a
    /// few seconds); a request that reaches ImageGate itself gets `X-Accel-Redirect: <prefix><key>` and no body (see
    /// `deploy/nginx/imagegate-accel.conf`). Needs blobs on a disk nginx reads.
    case accel(prefix: String)
}

extension OutputDelivery {
    /// The request header by which nginx asks, under `accel`, whether a link's file may be sent (see
    /// `OutputsController.answerLinkCheck`). The shipped nginx configuration removes it from every request a client
    /// sends, so only nginx's own subrequest carries it.
    static let linkCheck = HTTPField.Name("X-ImageGate-Link-Check")!
    /// The check's answer header naming the file (the blob's key) for nginx's `alias`.
    static let checkedBlob = HTTPField.Name("X-ImageGate-Blob")!
    /// How long nginx may keep a check's answer: a few seconds, so a browser's `max-age` copied from a kept answer is
    /// only that much too long.
    static let longestKeptCheckSeconds: Int64 = 10

    /// Where, beside ImageGate itself, a browser loads an output from: the store a redirect sends it to (the origin
    /// of a presigned link, so a bucket in the host name is included).
    var imageOrigins: [String] {
        guard case .redirect(let store, let seconds) = self else { return [] }
        return [store.presignedGetURL(key: "origin", expiresIn: seconds, responseContentType: nil, responseContentDisposition: nil, now: Date())]
    }
}
