import Crypto
import Essentials
import Foundation

/// Signs and checks output links, so a link cannot be forged or have its expiry edited.
///
/// A link carries the output id (128 random bits), its expiry and an HMAC-SHA256 of both under a secret kept in
/// the database (shared by every replica).
package struct OutputLinkSigner: Sendable {
    private let key: SymmetricKey

    package init(secretHex: String) {
        self.key = SymmetricKey(data: Self.bytes(fromHex: secretHex))
    }

    /// A fresh random secret, hex-encoded, for the first start.
    package static func newSecretHex() -> String {
        Hex.random(bytes: 32)
    }

    /// The signature for an output id and expiry (Unix seconds).
    package func signature(outputID: String, expires: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(outputID).\(expires)".utf8), using: self.key)
        return Hex.string(mac.prefix(16))
    }

    /// Whether `signature` is the one this signer makes, compared in constant time.
    package func isValid(signature: String, outputID: String, expires: Int64) -> Bool {
        let expected = Array(self.signature(outputID: outputID, expires: expires).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Builds the public link: `{base}/v1/outputs/{id}.{ext}?expires=…&sig=…`.
    package func url(base: String, outputID: String, fileExtension: String, expires: Int64) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        return "\(trimmed)/v1/outputs/\(outputID).\(fileExtension)?expires=\(expires)&sig=\(self.signature(outputID: outputID, expires: expires))"
    }

    /// Builds the link of an output's thumbnail: `{base}/v1/thumbnails/{id}.jpg?expires=…&sig=…`. Its signature
    /// covers another subject than the output's, so a thumbnail's link never opens the full image.
    package func thumbnailURL(base: String, outputID: String, expires: Int64) -> String {
        let trimmed = base.hasSuffix("/") ? String(base.dropLast()) : base
        let signature = self.signature(outputID: Self.thumbnailSubject(outputID), expires: expires)
        return "\(trimmed)/v1/thumbnails/\(outputID).jpg?expires=\(expires)&sig=\(signature)"
    }

    /// Whether `signature` is the one this signer makes for the thumbnail of `outputID`.
    package func isValidThumbnail(signature: String, outputID: String, expires: Int64) -> Bool {
        self.isValid(signature: signature, outputID: Self.thumbnailSubject(outputID), expires: expires)
    }

    /// What a thumbnail's link signs: the output id and a suffix no output id has (ids have no `/`).
    static func thumbnailSubject(_ outputID: String) -> String { "\(outputID)/thumbnail" }

    static func bytes(fromHex hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            if let byte = UInt8(hex[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        return bytes
    }
}
