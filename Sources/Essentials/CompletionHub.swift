/// Lets a task wait for something named by a key (a generation's end, a webhook that became due) without polling
/// the database.
///
/// A waiter registers (`prepare`) before it reads the row it waits on (see `GenerationService.waitForEnd`), so an end
/// in between is not missed. Waiters that time out leave; a later signal for them is ignored.
package actor CompletionHub {
    private enum Slot {
        case pending([Int: CheckedContinuation<Bool, Never>])
        case done
    }

    private var slots: [String: Slot] = [:]
    private var timeouts: [Int: Task<Void, Never>] = [:]
    private var nextToken = 0

    package init() {}

    /// Announces that someone will wait for `id`.
    package func prepare(_ id: String) {
        if self.slots[id] == nil { self.slots[id] = .pending([:]) }
    }

    /// Waits until `id` ends (true) or `timeout` passes (false). Only valid after `prepare`.
    package func wait(for id: String, timeout: Duration) async -> Bool {
        switch self.slots[id] {
        case .done:
            self.slots[id] = nil
            return true
        case nil:
            return false
        case .pending:
            let token = self.nextToken
            self.nextToken += 1
            return await withCheckedContinuation { continuation in
                guard case .pending(var waiters) = self.slots[id] else {
                    continuation.resume(returning: true)
                    return
                }
                waiters[token] = continuation
                self.slots[id] = .pending(waiters)
                self.timeouts[token] = Task {
                    try? await Task.sleep(for: timeout)
                    self.expire(id, token: token)
                }
            }
        }
    }

    /// Forgets a prepared slot nobody will wait on (the generation had already ended).
    package func discard(_ id: String) {
        if case .pending(let waiters) = self.slots[id], !waiters.isEmpty { return }
        self.slots[id] = nil
    }

    /// Wakes everyone waiting for `id`.
    package func signal(_ id: String) {
        guard case .pending(let waiters) = self.slots[id] else { return }
        if waiters.isEmpty {
            self.slots[id] = .done
            return
        }
        self.slots[id] = nil
        for (token, continuation) in waiters {
            self.timeouts.removeValue(forKey: token)?.cancel()
            continuation.resume(returning: true)
        }
    }

    private func expire(_ id: String, token: Int) {
        self.timeouts[token] = nil
        guard case .pending(var waiters) = self.slots[id], let continuation = waiters.removeValue(forKey: token) else { return }
        // The last waiter gone: forget the slot, so a job that outlives every waiter leaves nothing behind.
        self.slots[id] = waiters.isEmpty ? nil : .pending(waiters)
        continuation.resume(returning: false)
    }
}
