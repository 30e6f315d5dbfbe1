import Crypto
import Essentials
import Foundation

/// Stripe's webhook signature (`Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`): HMAC-SHA256 of `"<t>.<raw body>"`
/// with the endpoint's secret, compared in constant time with every `v1`; a `t` more than `tolerance` seconds from
/// now is refused, so a captured event cannot be replayed later. Checked on the raw bytes, before any parsing.
package struct StripeSignature: Sendable {
    package let secret: String
    package var toleranceSeconds: Int64 = 300

    package init(secret: String) {
        self.secret = secret
    }

    /// Throws `PaymentError.badSignature` unless `header` signs `body` now (`now`: Unix seconds).
    package func verify(_ body: [UInt8], header: String?, now: Int64) throws(PaymentError) {
        guard let header, !header.isEmpty else { throw PaymentError(.badSignature, "Stripe-Signature is missing.") }
        var stamp: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { stamp = Int64(pair[1]) }
            if pair[0] == "v1" { signatures.append(pair[1]) }
        }
        guard let stamp, !signatures.isEmpty else { throw PaymentError(.badSignature, "Stripe-Signature has no timestamp or no v1 signature.") }
        guard abs(now - stamp) <= self.toleranceSeconds else {
            throw PaymentError(.badSignature, "Stripe-Signature is outside the \(self.toleranceSeconds) s tolerance.")
        }
        let expected = Array(self.sign(body, timestamp: stamp).utf8)
        // Every candidate is compared, whatever the first one gave.
        let matched = signatures.reduce(false) { found, candidate in ConstantTime.equal(Array(candidate.utf8), expected) || found }
        guard matched else { throw PaymentError(.badSignature, "No v1 signature matches the body.") }
    }

    /// The hex `v1` signature of `body` at `timestamp`.
    package func sign(_ body: [UInt8], timestamp: Int64) -> String {
        let key = SymmetricKey(data: Array(self.secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: key)
        return Hex.string(mac)
    }

    /// A whole header for `body` (the fake Stripe signs its events with it).
    package func header(for body: [UInt8], timestamp: Int64) -> String {
        "t=\(timestamp),v1=\(self.sign(body, timestamp: timestamp))"
    }
}
