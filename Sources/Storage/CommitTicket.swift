import Synchronization

/// A transaction's wait for the commit of the batch it joined (see `SQLiteDatabase`'s group commit): completed once,
/// by whichever transaction commits the batch, before or after the owner starts waiting.
final class CommitTicket: Sendable {
    private enum State {
        case pending
        case waiting(CheckedContinuation<Void, any Error>)
        case done(Result<Void, any Error>)
    }

    private let state = Mutex(State.pending)

    /// Records the batch's outcome and wakes the owner if it is already waiting.
    func complete(_ result: Result<Void, any Error>) {
        let waiter: CheckedContinuation<Void, any Error>? = self.state.withLock { state in
            switch state {
            case .pending:
                state = .done(result)
                return nil
            case .waiting(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil
            }
        }
        waiter?.resume(with: result)
    }

    /// Returns when the batch is durable, or throws why it is not.
    func wait() async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let outcome: Result<Void, any Error>? = self.state.withLock { state in
                switch state {
                case .pending:
                    state = .waiting(continuation)
                    return nil
                case .done(let result):
                    return result
                case .waiting:
                    preconditionFailure("a commit ticket is waited on once")
                }
            }
            if let outcome { continuation.resume(with: outcome) }
        }
    }
}
