import Synchronization

/// Keeps a run's lease alive while the run works, and stops the run before the lease can lapse.
///
/// The work runs in a task of its own; a keeper renews the lease every third of it. A renewal that the database
/// refuses (the lease is another run's now) cancels the work at once. One that fails, or does not answer before the
/// lease's end less a margin (a pool too busy to lend a connection), is abandoned and tried again at the next
/// interval; once no renewal can land before the lease would lapse, the work is cancelled and ends as interrupted,
/// so no other run takes the generation over while this one still works on it. Either way the settle statement
/// itself is guarded by the owner, so a run that lost its lease can never move money.
///
/// Cancelling the caller (a graceful shutdown) cancels the work, but the keeper goes on renewing until the work has
/// ended: a step the work shields from cancellation (a submit and the saving of its handle) keeps its lease.
enum LeaseKeeper {
    /// What a renewal found.
    enum Renewal: Sendable {
        case renewed
        case lost
        /// Not known (the database did not answer): tried again at the next interval.
        case failed
    }

    /// Runs `work` under a lease of length `lease` that started now, renewing it with `renew`.
    static func holding<T: Sendable>(
        lease: Duration,
        renew: @escaping @Sendable () async -> Renewal,
        _ work: @escaping @Sendable () async -> T
    ) async -> T {
        let started = ContinuousClock.now
        let running = Task { await work() }
        let keeper = Task { await Self.keep(running, lease: lease, since: started, renew: renew) }
        let result = await withTaskCancellationHandler {
            await running.value
        } onCancel: {
            running.cancel()
        }
        keeper.cancel()
        return result
    }

    /// Renews until the work ends (this task is cancelled) or the lease is lost or about to lapse (the work is).
    private static func keep<T: Sendable>(
        _ work: Task<T, Never>,
        lease: Duration,
        since started: ContinuousClock.Instant,
        renew: @escaping @Sendable () async -> Renewal
    ) async {
        let interval = lease / 3
        // What is left of the lease when the work is told to stop: time for it to stop and give the lease back.
        let margin = lease / 6
        var expires = started + lease
        var next = started + interval
        while true {
            let deadline = expires - margin
            do {
                try await Task.sleep(until: min(next, deadline), clock: .continuous)
            } catch {
                return  // the work ended
            }
            let attempt = ContinuousClock.now
            guard attempt < deadline else { break }
            switch await Self.answer(renew, by: deadline) {
            case .renewed?:
                expires = attempt + lease
                next = attempt + interval
            case .lost?:
                work.cancel()
                return
            case .failed?, nil:
                next = ContinuousClock.now + interval
            }
        }
        work.cancel()  // no renewal landed in time: stop before another run may take the generation over
    }

    /// The renewal's answer, or nil when none came by `deadline` (or the keeper was cancelled): the renewal is then
    /// cancelled and left behind, not awaited, since a wait for a connection may not end when asked to.
    private static func answer(_ renew: @escaping @Sendable () async -> Renewal, by deadline: ContinuousClock.Instant) async -> Renewal? {
        let race = FirstAnswer()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                race.wait(continuation)
                let attempt = Task { race.decide(await renew()) }
                Task {
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    attempt.cancel()
                    race.decide(nil)
                }
            }
        } onCancel: {
            race.decide(nil)
        }
    }
}

/// The first of several answers to one question (a renewal, its deadline, a cancel), handed to one waiter.
private final class FirstAnswer: Sendable {
    private enum State {
        case idle
        case waiting(CheckedContinuation<LeaseKeeper.Renewal?, Never>)
        case decided(LeaseKeeper.Renewal?)
        case finished
    }

    private let state = Mutex(State.idle)

    func wait(_ continuation: CheckedContinuation<LeaseKeeper.Renewal?, Never>) {
        let early: LeaseKeeper.Renewal?? = self.state.withLock { state in
            guard case .decided(let answer) = state else {
                state = .waiting(continuation)
                return .none
            }
            state = .finished
            return .some(answer)
        }
        if let early { continuation.resume(returning: early) }
    }

    func decide(_ answer: LeaseKeeper.Renewal?) {
        let waiter: CheckedContinuation<LeaseKeeper.Renewal?, Never>? = self.state.withLock { state in
            switch state {
            case .idle:
                state = .decided(answer)
                return nil
            case .waiting(let continuation):
                state = .finished
                return continuation
            case .decided, .finished:
                return nil
            }
        }
        waiter?.resume(returning: answer)
    }
}
