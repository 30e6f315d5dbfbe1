import Synchronization
import Testing

@testable import Generation

/// A run holds its lease only while it can prove it: it stops before a lease it cannot renew lapses, and keeps
/// renewing while a step it may not abandon (a submit in flight) finishes after a shutdown.
@Suite struct LeaseKeeperTests {
    /// How a piece of work ended, and when.
    struct Ended: Sendable {
        let cancelled: Bool
        let after: Duration
    }

    /// Work that runs for `duration` unless cancelled first.
    static func work(for duration: Duration) -> @Sendable () async -> Ended {
        {
            let started = ContinuousClock.now
            let cancelled = (try? await Task.sleep(for: duration)) == nil
            return Ended(cancelled: cancelled, after: ContinuousClock.now - started)
        }
    }

    @Test func aWorkerThatCannotRenewStopsBeforeItsLeaseLapses() async throws {
        // Every renewal waits for a connection a busy pool lends only after 8 s, and does not give up when asked to.
        // Before the fix the keeper waited on it: the work ran its 5 s, past the lease.
        let pool = StuckPool()
        let opener = Task {
            try? await Task.sleep(for: .seconds(8))
            pool.open()
        }
        let lease = Duration.milliseconds(900)
        let ended = await LeaseKeeper.holding(lease: lease, renew: { await pool.wait() }, Self.work(for: .seconds(5)))
        opener.cancel()
        pool.open()
        #expect(ended.cancelled, "the work was stopped")
        #expect(ended.after < lease, "before the lease lapsed (after \(ended.after))")
        #expect(pool.waiters >= 1)
    }

    @Test func aRenewalThatKeepsFailingStopsTheWorkBeforeTheLeaseLapses() async throws {
        let lease = Duration.milliseconds(900)
        let ended = await LeaseKeeper.holding(lease: lease, renew: { .failed }, Self.work(for: .seconds(5)))
        #expect(ended.cancelled && ended.after < lease)
    }

    @Test func renewedLeasesLetTheWorkRunPastTheFirstLease() async throws {
        let renewals = Mutex(0)
        let ended = await LeaseKeeper.holding(
            lease: .milliseconds(300),
            renew: {
                renewals.withLock { $0 += 1 }
                return .renewed
            },
            Self.work(for: .milliseconds(800))
        )
        #expect(!ended.cancelled)
        #expect(renewals.withLock { $0 } >= 2)
    }

    @Test func aCancelledRunKeepsItsLeaseUntilItsUncancellableStepEnds() async throws {
        // The step ignores the cancel for twice the lease, as a submit in flight at a graceful shutdown does.
        let renewals = Mutex(0)
        let running = Task {
            await LeaseKeeper.holding(
                lease: .milliseconds(300),
                renew: {
                    renewals.withLock { $0 += 1 }
                    return .renewed
                },
                { await Task { try? await Task.sleep(for: .milliseconds(600)) }.value }
            )
        }
        try await Task.sleep(for: .milliseconds(50))
        running.cancel()
        await running.value
        #expect(renewals.withLock { $0 } >= 3, "renewed every third of the lease until the step ended")
    }
}

/// A connection pool that lends nothing: each waiter waits, deaf to cancellation, until it is opened.
final class StuckPool: Sendable {
    private let state = Mutex<(waiting: [CheckedContinuation<Void, Never>], open: Bool, count: Int)>(([], false, 0))

    var waiters: Int { self.state.withLock { $0.count } }

    func wait() async -> LeaseKeeper.Renewal {
        await withCheckedContinuation { continuation in
            let resumeNow = self.state.withLock { state in
                state.count += 1
                if state.open { return true }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        return .renewed
    }

    func open() {
        let waiting = self.state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
