import Foundation

/// The part of a Stripe object ImageGate reads: a Checkout Session (created, or in an event), a Charge
/// (`charge.refunded`) or a Dispute (`charge.dispute.created`).
package struct StripeObject: Sendable, Decodable {
    package let id: String?
    let object: String?
    // Checkout Session
    package let url: String?
    let status: String?
    let paymentStatus: String?
    let amountTotal: Int64?
    let currency: String?
    let clientReferenceID: String?
    let paymentIntent: String?
    // Charge
    let amountRefunded: Int64?
    // Dispute
    let amount: Int64?

    enum CodingKeys: String, CodingKey {
        case id, object, url, status, currency, amount
        case paymentStatus = "payment_status"
        case amountTotal = "amount_total"
        case clientReferenceID = "client_reference_id"
        case paymentIntent = "payment_intent"
        case amountRefunded = "amount_refunded"
    }
}

/// The part of a Stripe event ImageGate reads: its id (for deduplication), its type, and its object.
struct StripeEvent: Decodable {
    struct Payload: Decodable {
        let object: StripeObject
    }

    let id: String
    let type: String
    let data: Payload
}
