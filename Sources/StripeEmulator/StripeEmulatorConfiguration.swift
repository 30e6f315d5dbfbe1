/// How `imagegate stripe-emulator` runs: where it listens, where it sends its events, and with which secret it
/// signs them.
package struct StripeEmulatorConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 12111
    /// Base of the hosted payment pages' URLs (default: http://HOST:PORT).
    package var publicURL: String?
    /// Where events are POSTed (ImageGate's `/webhooks/stripe`); nil: kept, never sent.
    package var webhookURL: String?
    /// The endpoint's signing secret (`whsec_…`).
    package var webhookSecret = "whsec_emulator"

    package init() {}

    var resolvedPublicURL: String { self.publicURL ?? "http://\(self.host):\(self.port)" }
}
