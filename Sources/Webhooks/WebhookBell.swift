import Essentials

/// Rung when a webhook may have become due (a settlement wrote one, an owner asked for a redelivery, an attempt
/// ended), so the dispatcher sends it at once instead of at its next half-second look at the outbox.
package struct WebhookBell: Sendable {
    private let hub = CompletionHub()
    /// The hub's one slot: the dispatcher is the only listener.
    private static let key = "webhooks"

    package init() {}

    package func ring() async { await self.hub.signal(Self.key) }

    /// Called before the dispatcher reads the outbox: a ring in between is then not missed.
    func prepare() async { await self.hub.prepare(Self.key) }

    /// Waits for a ring, or `timeout`.
    func wait(timeout: Duration) async { _ = await self.hub.wait(for: Self.key, timeout: timeout) }
}
