import Essentials
import Generation
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
///
/// Time is the injected wall clock's, the one the lease is written and judged with (`lease_until`), read every
/// `tick` at the most; so a test that moves the clock by hand moves the keeper's deadlines with it.
enum LeaseKeeper {
    /// What a renewal found.
    enum Renewal: Sendable {
        case renewed
        case lost
        /// Not known (the database did not answer): tried again at the next interval.
        case failed
    }

    /// The longest real pause between two readings of the wall clock.
    static let tick = Duration.milliseconds(100)

    /// Runs `work` under a lease of `leaseMillis` on `clock` that started now, renewing it with `renew`.
    static func holding<T: Sendable>(
        leaseMillis: Int64,
        clock: any WallClock,
        renew: @escaping @Sendable () async -> Renewal,
        _ work: @escaping @Sendable () async -> T
    ) async -> T {
        let started = clock.nowMillis()
        let running = Task { await work() }
        let keeper = Task { await Self.keep(running, leaseMillis: leaseMillis, since: started, clock: clock, renew: renew) }
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
        leaseMillis: Int64,
        since started: Int64,
        clock: any WallClock,
        renew: @escaping @Sendable () async -> Renewal
    ) async {
        let interval = leaseMillis / 3
        // What is left of the lease when the work is told to stop: time for it to stop and give the lease back.
        let margin = leaseMillis / 6
        var expires = started + leaseMillis
        var next = started + interval
        while true {
            let deadline = expires - margin
            do {
                try await Self.sleep(until: min(next, deadline), on: clock)
            } catch {
                return  // the work ended
            }
            let attempt = clock.nowMillis()
            guard attempt < deadline else { break }
            switch await Self.answer(renew, by: deadline, on: clock) {
            case .renewed?:
                expires = attempt + leaseMillis
                next = attempt + interval
            case .lost?:
                work.cancel()
                return
            case .failed?, nil:
                next = clock.nowMillis() + interval
            }
        }
        work.cancel()  // no renewal landed in time: stop before another run may take the generation over
    }

    /// The renewal's answer, or nil when none came by `deadline` (or the keeper was cancelled): the renewal is then
    /// cancelled and left behind, not awaited, since a wait for a connection may not end when asked to.
    private static func answer(
        _ renew: @escaping @Sendable () async -> Renewal,
        by deadline: Int64,
        on clock: any WallClock
    ) async -> Renewal? {
        let race = FirstAnswer()
        let attempt = Task { race.decide(await renew()) }
        let timer = Task {
            try? await Self.sleep(until: deadline, on: clock)
            race.decide(nil)
        }
        let answer = await withTaskCancellationHandler {
            await withCheckedContinuation { race.wait($0) }
        } onCancel: {
            race.decide(nil)
        }
        attempt.cancel()
        timer.cancel()
        return answer
    }
}

extension LeaseKeeper {
    /// Waits until `clock` reads `instant` or later; throws when this task is cancelled.
    static func sleep(until instant: Int64, on clock: any WallClock) async throws {
        while true {
            let left = instant - clock.nowMillis()
            guard left > 0 else { return }
            try await Task.sleep(for: min(.milliseconds(left), Self.tick))
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
