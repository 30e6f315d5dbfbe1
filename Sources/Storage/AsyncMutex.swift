/// A first-in, first-out lock for async code: SQLite allows one writer, and one shared connection must not
/// interleave two tasks' transactions.
public actor AsyncMutex {
    private var locked = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var head = 0

    public init() {}

    /// Runs `body` while holding the lock.
    public func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await self.lock()
        do {
            let result = try await body()
            self.unlock()
            return result
        } catch {
            self.unlock()
            throw error
        }
    }

    private func lock() async {
        if !self.locked {
            self.locked = true
            return
        }
        await withCheckedContinuation { self.waiters.append($0) }
    }

    private func unlock() {
        if self.head < self.waiters.count {
            let next = self.waiters[self.head]
            self.head += 1
            if self.head > 64 && self.head * 2 > self.waiters.count {
                self.waiters.removeFirst(self.head)
                self.head = 0
            }
            next.resume()  // ownership passes straight to the next waiter; `locked` stays true
        } else {
            self.locked = false
        }
    }
}
