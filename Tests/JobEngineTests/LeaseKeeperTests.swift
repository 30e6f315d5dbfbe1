import Essentials
import StorageTestSupport
import Synchronization
import Testing

@testable import Generation
@testable import JobEngine

/// A run holds its lease only while it can prove it: it stops before a lease it cannot renew lapses, and keeps
/// renewing while a step it may not abandon (a submit in flight) finishes after a shutdown. The lease is 30 s on a
/// clock the tests move by hand, so no test waits for it.
@Suite struct LeaseKeeperTests {
    static let leaseMillis: Int64 = 30_000

    /// How a piece of work ended.
    enum Ended: Sendable, Equatable {
        case finished
        case cancelled
        /// Neither finished nor stopped within 10 s: the keeper never stopped it.
        case overran
    }

    /// Starts work under a 30 s lease on `clock` renewed by `renew`, and returns once the keeper has read the clock.
    /// The work runs until `finish` is raised or it is cancelled; `shielded`: in a task the cancel does not reach,
    /// as a submit in flight is.
    static func hold(
        on clock: ManualClock,
        renew: @escaping @Sendable () async -> LeaseKeeper.Renewal,
        until finish: Flag = Flag(),
        shielded: Bool = false
    ) async throws -> Task<Ended, Never> {
        let began = Flag()
        let work: @Sendable () async -> Ended = {
            began.raise()
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                if finish.isRaised { return .finished }
                guard (try? await Task.sleep(for: .milliseconds(5))) != nil else { return .cancelled }
            }
            return .overran
        }
        let running = Task {
            await LeaseKeeper.holding(
                leaseMillis: Self.leaseMillis,
                clock: clock,
                renew: renew,
                shielded ? { await Task { await work() }.value } : work
            )
        }
        try await Self.until { began.isRaised }
        return running
    }

    /// Waits (10 s at the most) until `condition` holds.
    static func until(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    @Test func aWorkerThatCannotRenewStopsBeforeItsLeaseLapses() async throws {
        // Every renewal waits for a connection a busy pool does not lend, and does not give up when asked to. Before
        // the fix the keeper waited on it, and the work went on past the lease.
        let (clock, pool) = (ManualClock(startingAt: 0), StuckPool())
        // Lends at last after 12 s, so that a keeper that waits on it (before the fix) fails this test, not hangs it.
        let lender = Task {
            try? await Task.sleep(for: .seconds(12))
            pool.open()
        }
        defer { lender.cancel() }
        let running = try await Self.hold(on: clock, renew: { await pool.wait() })
        clock.advance(byMillis: 10_000)  // a third of the lease: a renewal starts, and waits on the pool
        try await Self.until { pool.waiters == 1 }
        clock.advance(byMillis: 15_000)  // the lease's end less its margin
        #expect(await running.value == .cancelled)
        #expect(clock.nowMillis() < Self.leaseMillis, "stopped before the lease lapsed")
        pool.open()
    }

    @Test func aRenewalThatKeepsFailingStopsTheWorkBeforeTheLeaseLapses() async throws {
        let (clock, attempts) = (ManualClock(startingAt: 0), Counter())
        let running = try await Self.hold(on: clock, renew: attempts.counting(.failed))
        clock.advance(byMillis: 10_000)
        try await Self.until { attempts.value == 1 }
        clock.advance(byMillis: 15_000)
        #expect(await running.value == .cancelled)
    }

    @Test func renewedLeasesLetTheWorkRunPastTheFirstLease() async throws {
        let (clock, renewals, finish) = (ManualClock(startingAt: 0), Counter(), Flag())
        let running = try await Self.hold(on: clock, renew: renewals.counting(.renewed), until: finish)
        for renewal in 1...6 {
            clock.advance(byMillis: 10_000)
            try await Self.until { renewals.value == renewal }
        }
        finish.raise()
        #expect(await running.value == .finished, "60 s on a 30 s lease, renewed every 10 s")
    }

    @Test func aCancelledRunKeepsItsLeaseUntilItsUncancellableStepEnds() async throws {
        // The step ignores the cancel, as a submit in flight at a graceful shutdown does.
        let (clock, renewals, finish) = (ManualClock(startingAt: 0), Counter(), Flag())
        let running = try await Self.hold(on: clock, renew: renewals.counting(.renewed), until: finish, shielded: true)
        running.cancel()
        for renewal in 1...3 {
            clock.advance(byMillis: 10_000)
            try await Self.until { renewals.value == renewal }
        }
        finish.raise()
        #expect(await running.value == .finished)
    }
}

/// A flag one task raises and another reads.
final class Flag: Sendable {
    private let raised = Mutex(false)

    var isRaised: Bool { self.raised.withLock { $0 } }

    func raise() { self.raised.withLock { $0 = true } }
}

/// A count several tasks add to.
final class Counter: Sendable {
    private let count = Mutex(0)

    var value: Int { self.count.withLock { $0 } }

    func add() { self.count.withLock { $0 += 1 } }

    /// A renewal that counts itself and answers `answer`.
    func counting(_ answer: LeaseKeeper.Renewal) -> @Sendable () async -> LeaseKeeper.Renewal {
        {
            self.add()
            return answer
        }
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
