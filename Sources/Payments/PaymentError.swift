/// Why a payment request or a Stripe event was refused. Values with static members, so the HTTP layer maps meaning
/// rather than text.
package struct PaymentError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Code: Sendable, Hashable {
        private let value: String
        private init(_ value: String) { self.value = value }
        package var rawValue: String { self.value }

        /// The server has no Stripe settings: credit comes from the operator.
        package static let notConfigured = Code("payments_not_configured")
        /// The amount is outside the operator's bounds or not a whole number of cents.
        package static let invalidAmount = Code("invalid_parameter")
        /// `Stripe-Signature` is missing, malformed, stale or does not match the raw body.
        package static let badSignature = Code("invalid_signature")
        /// The body is not a Stripe event.
        package static let badEvent = Code("invalid_event")
        /// The event is about a payment this server has not recorded yet (delivered out of order): Stripe retries.
        package static let notYet = Code("order_not_ready")
        /// Stripe could not be reached or refused the session.
        package static let upstream = Code("payment_provider_error")
        /// No order with this id for this account.
        package static let notFound = Code("not_found")
    }

    package let code: Code
    package let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(self.code.rawValue): \(self.message)" }
}
