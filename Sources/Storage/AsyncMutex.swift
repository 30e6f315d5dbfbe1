/// A first-in, first-out lock for async code: SQLite allows one writer, and one shared connection must not
/// interleave two tasks' transactions. Urgent waiters go before normal ones (in their own arrival order), so a
/// short write that closes a crash window never waits behind a queue of ordinary ones.
package actor AsyncMutex {
    private var locked = false
    private var waiters = FIFO()
    private var urgentWaiters = FIFO()

    package init() {}

    /// Whether anyone is queued for the lock: the holder may then leave work for the next one to finish.
    package var hasWaiters: Bool { !self.urgentWaiters.isEmpty || !self.waiters.isEmpty }

    /// How many are queued for the lock (tests wait on it instead of on time).
    var waiterCount: Int { self.urgentWaiters.count + self.waiters.count }

    /// Runs `body` while holding the lock.
    package func withLock<T: Sendable>(urgent: Bool = false, _ body: @Sendable () async throws -> T) async throws -> T {
        await self.lock(urgent: urgent)
        do {
            let result = try await body()
            self.unlock()
            return result
        } catch {
            self.unlock()
            throw error
        }
    }

    private func lock(urgent: Bool) async {
        if !self.locked {
            self.locked = true
            return
        }
        await withCheckedContinuation { continuation in
            if urgent {
                self.urgentWaiters.append(continuation)
            } else {
                self.waiters.append(continuation)
            }
        }
    }

    private func unlock() {
        // Ownership passes straight to the next waiter; `locked` stays true.
        if let next = self.urgentWaiters.popFirst() ?? self.waiters.popFirst() {
            next.resume()
        } else {
            self.locked = false
        }
    }

    /// A queue of continuations with amortised O(1) removal from the front.
    private struct FIFO {
        private var items: [CheckedContinuation<Void, Never>] = []
        private var head = 0

        var isEmpty: Bool { self.head == self.items.count }

        var count: Int { self.items.count - self.head }

        mutating func append(_ item: CheckedContinuation<Void, Never>) { self.items.append(item) }

        mutating func popFirst() -> CheckedContinuation<Void, Never>? {
            guard self.head < self.items.count else { return nil }
            let item = self.items[self.head]
            self.head += 1
            if self.head > 64 && self.head * 2 > self.items.count {
                self.items.removeFirst(self.head)
                self.head = 0
            }
            return item
        }
    }
}
