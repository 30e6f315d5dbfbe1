/// Bounds how many reference URLs are fetched at once: per caller (one API key cannot take every slot) and for the
/// whole server (strangers' URLs cannot open unbounded connections). Fetches beyond a bound wait their turn, first
/// come first served; a data URI never takes a slot.
package actor FetchLimiter {
    /// Most fetches in flight for one caller: one request's worth of references.
    package let perCaller: Int
    /// Most fetches in flight in this process.
    package let total: Int

    private var running: [String: Int] = [:]
    private var runningTotal = 0
    private var waiters: [(caller: String, continuation: CheckedContinuation<Void, Never>)] = []

    package init(perCaller: Int = 10, total: Int = 32) {
        self.perCaller = max(1, perCaller)
        self.total = max(1, total)
    }

    /// Runs `body` holding one slot of `caller`'s.
    package func withSlot<T: Sendable>(for caller: String, _ body: @Sendable () async throws -> T) async rethrows -> T {
        await self.acquire(caller)
        defer { self.release(caller) }
        return try await body()
    }

    /// How many fetches run now (for tests and metrics).
    package var inFlight: Int { self.runningTotal }

    /// How many fetches wait for a slot (for tests).
    package var waiting: Int { self.waiters.count }

    private func hasRoom(for caller: String) -> Bool {
        self.runningTotal < self.total && self.running[caller, default: 0] < self.perCaller
    }

    private func acquire(_ caller: String) async {
        // Every waiter lacks room (a release wakes, in order, each one that has it), so a newcomer with room passes
        // nobody who could use that slot: it may go past a caller held at its own bound, never past one waiting for
        // the server-wide room, which the newcomer lacks too.
        if self.hasRoom(for: caller) {
            self.take(caller)
            return
        }
        await withCheckedContinuation { self.waiters.append((caller, $0)) }
    }

    private func take(_ caller: String) {
        self.running[caller, default: 0] += 1
        self.runningTotal += 1
    }

    private func release(_ caller: String) {
        self.runningTotal -= 1
        self.running[caller, default: 1] -= 1
        if self.running[caller] == 0 { self.running[caller] = nil }
        // Wake, in order, every waiter that now has room (a caller at its own bound does not block the others).
        var index = 0
        while index < self.waiters.count {
            let waiter = self.waiters[index]
            if self.hasRoom(for: waiter.caller) {
                self.waiters.remove(at: index)
                self.take(waiter.caller)
                waiter.continuation.resume()
            } else {
                index += 1
            }
        }
    }
}
