import Essentials
import Testing

@testable import Payments

/// Stripe's signature scheme, as `stripe.Webhook.construct_event` checks it (the e2e suite runs Stripe's own library
/// against the fake's events): the raw body signed with its timestamp, any `v1` may match, and a stale stamp fails.
@Suite struct StripeSignatureTests {
    let signature = StripeSignature(secret: "whsec_test")
    let body = Array(#"{"id":"evt_1","type":"checkout.session.completed"}"#.utf8)

    @Test func aFreshSignatureOverTheRawBodyIsAccepted() throws {
        let header = self.signature.header(for: self.body, timestamp: 1_000)
        try self.signature.verify(self.body, header: header, now: 1_000)
        try self.signature.verify(self.body, header: header, now: 1_300)
        // A rotated endpoint signs twice: either signature will do.
        try self.signature.verify(
            self.body,
            header: "t=1000,v1=\(String(repeating: "0", count: 64)),v1=\(self.signature.sign(self.body, timestamp: 1_000))",
            now: 1_000
        )
    }

    @Test(arguments: [
        ("missing", nil as String?, 1_000 as Int64),
        ("no v1", "t=1000", 1_000),
        ("stale", "STALE", 1_301),
        ("from the future", "STALE", 699),
        ("another body", "OTHER", 1_000),
        ("another secret", "SECRET", 1_000),
    ])
    func anythingElseIsRefused(_ case: String, header: String?, now: Int64) {
        let other = StripeSignature(secret: "whsec_other")
        let resolved: String? =
            switch header {
            case "STALE": self.signature.header(for: self.body, timestamp: 1_000)
            case "OTHER": self.signature.header(for: Array("{}".utf8), timestamp: 1_000)
            case "SECRET": other.header(for: self.body, timestamp: 1_000)
            default: header
            }
        #expect(throws: PaymentError.self, "\(`case`)") { try self.signature.verify(self.body, header: resolved, now: now) }
    }

    @Test func theComparisonLooksAtEveryByte() {
        #expect(ConstantTime.equal(Array("abcd".utf8), Array("abcd".utf8)))
        #expect(!ConstantTime.equal(Array("abce".utf8), Array("abcd".utf8)))
        #expect(!ConstantTime.equal(Array("abc".utf8), Array("abcd".utf8)))
    }
}
