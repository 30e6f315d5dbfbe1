import Essentials

/// A Checkout Session as the emulator keeps it, and as Stripe writes it in its answers and events.
struct FakeSession: Sendable {
    let id: String
    let amountTotal: Int64
    let currency: String
    let clientReferenceID: String?
    let successURL: String
    let cancelURL: String
    let metadata: [String: String]
    var status = "open"
    var paymentStatus = "unpaid"
    var paymentIntent: String?
    /// Cents refunded so far (Stripe's `amount_refunded` on the charge is cumulative).
    var refunded: Int64 = 0

    func json(publicURL: String) -> JSONValue {
        .object([
            "id": .string(self.id),
            "object": .string("checkout.session"),
            "mode": .string("payment"),
            "status": .string(self.status),
            "payment_status": .string(self.paymentStatus),
            "amount_total": .integer(self.amountTotal),
            "amount_subtotal": .integer(self.amountTotal),
            "currency": .string(self.currency),
            "client_reference_id": self.clientReferenceID.map(JSONValue.string) ?? .null,
            "payment_intent": self.paymentIntent.map(JSONValue.string) ?? .null,
            "success_url": .string(self.successURL),
            "cancel_url": .string(self.cancelURL),
            "metadata": .object(self.metadata.mapValues(JSONValue.string)),
            "url": self.status == "open" ? .string("\(publicURL)/pay/\(self.id)") : .null,
            "livemode": .bool(false),
        ])
    }
}

/// An event the emulator made, with the exact bytes it sends (so a test can hand them to Stripe's own library).
struct FakeEvent: Sendable {
    let id: String
    let type: String
    let payload: [UInt8]
    var deliveries: [Int] = []
}
