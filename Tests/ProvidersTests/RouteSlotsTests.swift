import Testing

@testable import Providers

/// The per-process concurrency caps of routes: a full route refuses at once, and a waiter gets the next slot freed.
@Suite struct RouteSlotsTests {
    @Test func aFullRouteRefusesAtOnceAndAWaiterGetsTheNextFreedSlot() async throws {
        let slots = RouteSlots()
        #expect(slots.tryAcquire("m/a", limit: 1))
        #expect(!slots.tryAcquire("m/a", limit: 1))
        #expect(slots.tryAcquire("m/b", limit: 1), "each route has its own")
        #expect(slots.tryAcquire("m/c", limit: nil), "no cap: always")
        let waiter = Task { await slots.acquire("m/a", limit: 1) }
        try await Task.sleep(for: .milliseconds(50))
        slots.release("m/a", limit: 1)
        let acquired = await waiter.value
        #expect(acquired)
        #expect(slots.running("m/a") == 1, "the slot passed straight to the waiter")
        slots.release("m/a", limit: 1)
        #expect(slots.running("m/a") == 0)
    }

    @Test func aCancelledWaiterHoldsNoSlot() async throws {
        let slots = RouteSlots()
        #expect(slots.tryAcquire("m/a", limit: 1))
        let waiter = Task { await slots.acquire("m/a", limit: 1) }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let acquired = await waiter.value
        #expect(!acquired)
        slots.release("m/a", limit: 1)
        #expect(slots.running("m/a") == 0)
    }
}
