import Testing

@testable import Storage

/// The write lock's order: first come, first served, but urgent writers (work already admitted) go first.
@Suite struct AsyncMutexTests {
    /// Who got the lock, in order.
    actor Order {
        var names: [String] = []
        func append(_ name: String) { self.names.append(name) }
    }

    @Test func urgentWaitersGoBeforeNormalOnesAndEachKindKeepsItsOrder() async throws {
        let mutex = AsyncMutex()
        let order = Order()
        let (held, holding) = AsyncStream<Void>.makeStream()
        let (release, releasing) = AsyncStream<Void>.makeStream()
        // Take the lock and keep it until told.
        let holder = Task {
            try await mutex.withLock {
                holding.yield()
                for await _ in release { break }
            }
        }
        for await _ in held { break }
        var waiters: [Task<Void, any Error>] = []
        for (name, urgent) in [("n1", false), ("u1", true), ("n2", false), ("u2", true)] {
            waiters.append(Task { try await mutex.withLock(urgent: urgent) { await order.append(name) } })
            // Each waiter queues before the next one arrives (waiting on the queue, not on time: a loaded machine
            // may start a task late).
            while await mutex.waiterCount < waiters.count { await Task.yield() }
        }
        releasing.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(await order.names == ["u1", "u2", "n1", "n2"])
    }
}
