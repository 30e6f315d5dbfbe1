import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Stripe's Checkout Sessions API, form-encoded over AsyncHTTPClient (there is no Swift Stripe package here): create
/// a `mode=payment` session for one order, with the order's id as its `Idempotency-Key`, so a retried create (a
/// lost answer, a double click) never opens a second payment for one order.
package struct StripeCheckout: Sendable {
    /// What the server was told about Stripe.
    package struct Settings: Sendable {
        package var secretKey: String
        /// `https://api.stripe.com` in production; the fake's address in tests.
        package var apiBase: String
        package var timeout: TimeAmount = .seconds(30)

        package init(secretKey: String, apiBase: String = "https://api.stripe.com") {
            self.secretKey = secretKey
            self.apiBase = apiBase.hasSuffix("/") ? String(apiBase.dropLast()) : apiBase
        }
    }

    let settings: Settings
    let client: HTTPClient

    package init(settings: Settings, client: HTTPClient) {
        self.settings = settings
        self.client = client
    }

    /// Opens the payment page of `order`.
    package func createSession(for order: PaymentOrder, successURL: String, cancelURL: String) async throws(PaymentError) -> StripeObject {
        let fields: [(String, String)] = [
            ("mode", "payment"),
            ("client_reference_id", order.id),
            ("line_items[0][quantity]", "1"),
            ("line_items[0][price_data][currency]", order.currency),
            ("line_items[0][price_data][unit_amount]", "\(order.amountCents)"),
            ("line_items[0][price_data][product_data][name]", "ImageGate credit"),
            ("metadata[order_id]", order.id),
            ("success_url", successURL),
            ("cancel_url", cancelURL),
        ]
        var request = HTTPClientRequest(url: "\(self.settings.apiBase)/v1/checkout/sessions")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(self.settings.secretKey)")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Idempotency-Key", value: order.id)
        request.body = .bytes(ByteBuffer(string: Self.formEncoded(fields)))
        do {
            let response = try await self.client.execute(request, timeout: self.settings.timeout)
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                throw PaymentError(.upstream, "Stripe refused the checkout session (HTTP \(response.status.code)).")
            }
            let session = try JSONDecoder().decode(StripeObject.self, from: Data(body.readableBytesView))
            guard session.id != nil else { throw PaymentError(.upstream, "Stripe's answer names no session.") }
            return session
        } catch let error as PaymentError {
            throw error
        } catch {
            throw PaymentError(.upstream, "Stripe could not be reached: \(error).")
        }
    }

    /// `application/x-www-form-urlencoded`, brackets and all escaped as Stripe's own libraries send them.
    static func formEncoded(_ fields: [(String, String)]) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return fields.map { name, value in
            (name.addingPercentEncoding(withAllowedCharacters: allowed) ?? name) + "="
                + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)
        }.joined(separator: "&")
    }
}
