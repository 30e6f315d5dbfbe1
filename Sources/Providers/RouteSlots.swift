import Synchronization

/// The running generations of each route with a concurrency cap (`max_concurrency`), in this process.
///
/// Per replica, like the breakers: a cap is what one process may send a supplier at once, so with N replicas the
/// supplier sees at most N × the cap (docs: README "Suppliers, routes and keys"). A generation that finds every route
/// of its model full waits for the first slot freed on the route it prefers; waiters are served in order.
package final class RouteSlots: Sendable {
    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var running: [String: Int] = [:]
        var waiters: [String: [Waiter]] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    package init() {}

    /// Takes a slot on `key` now if fewer than `limit` run there (always, with no limit).
    package func tryAcquire(_ key: String, limit: Int?) -> Bool {
        guard let limit else { return true }
        return self.state.withLock { state in
            guard state.running[key, default: 0] < limit else { return false }
            state.running[key, default: 0] += 1
            return true
        }
    }

    /// Waits for a slot on `key`; false when the task was cancelled first (no slot is then held).
    package func acquire(_ key: String, limit: Int?) async -> Bool {
        if self.tryAcquire(key, limit: limit) { return true }
        let id = self.state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumeNow: Bool? = self.state.withLock { state in
                    if Task.isCancelled { return false }
                    if let limit, state.running[key, default: 0] < limit {
                        state.running[key, default: 0] += 1
                        return true
                    }
                    state.waiters[key, default: []].append(Waiter(id: id, continuation: continuation))
                    return nil
                }
                if let resumeNow { continuation.resume(returning: resumeNow) }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                guard let index = state.waiters[key]?.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiters[key]?.remove(at: index)
            }
            waiter?.continuation.resume(returning: false)
        }
    }

    /// Gives a slot back: to the first waiter on `key`, else to the pool.
    package func release(_ key: String, limit: Int?) {
        guard limit != nil else { return }
        let waiter = self.state.withLock { state -> Waiter? in
            if var queue = state.waiters[key], !queue.isEmpty {
                let first = queue.removeFirst()
                state.waiters[key] = queue
                return first
            }
            state.running[key, default: 1] -= 1
            return nil
        }
        waiter?.continuation.resume(returning: true)
    }

    /// How many generations run on `key` now.
    package func running(_ key: String) -> Int { self.state.withLock { $0.running[key, default: 0] } }
}
