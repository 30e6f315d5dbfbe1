import Essentials
import StorageTestSupport
import Testing

@testable import Providers

/// A route's breaker opens on a failing share of enough attempts, waits out its cooldown, lets one probe through,
/// and closes on the probe's success or opens again on its failure.
@Suite struct RouteBreakerTests {
    @Test func itOpensOnlyOnceEnoughAttemptsFailedAndHalfOpensAfterTheCooldown() {
        var breaker = RouteBreaker()
        var now: Int64 = 1_000_000
        // Four failures are not enough attempts to judge.
        for _ in 0..<4 {
            let admitted1 = breaker.admit(now: now)
            #expect(admitted1)
            breaker.record(.failure, now: now)
            now += 1000
        }
        #expect(breaker.state == .closed)
        // The fifth makes 5 of 5: open.
        let admitted2 = breaker.admit(now: now)
        #expect(admitted2)
        breaker.record(.failure, now: now)
        #expect(breaker.state == .open)
        let admitted3 = breaker.admit(now: now + 29_999)
        #expect(!admitted3, "refused during the 30 s cooldown")
        // After the cooldown one probe goes through, and only one.
        let admitted4 = breaker.admit(now: now + 30_000)
        #expect(admitted4)
        #expect(breaker.state == .halfOpen)
        let admitted5 = breaker.admit(now: now + 30_001)
        #expect(!admitted5, "a second attempt waits for the probe")
        breaker.record(.success, now: now + 31_000)
        #expect(breaker.state == .closed)
        let admitted6 = breaker.admit(now: now + 31_001)
        #expect(admitted6)
    }

    @Test func aFailedProbeOpensItAgainAndANeutralOneLetsTheNextProbeThrough() {
        var breaker = RouteBreaker()
        breaker.trip(now: 0)
        #expect(breaker.state == .open)
        let admitted7 = breaker.admit(now: 30_000)
        #expect(admitted7)
        breaker.record(.neutral, now: 30_001)
        #expect(breaker.state == .halfOpen, "a content-policy refusal says nothing about the route")
        let admitted8 = breaker.admit(now: 30_002)
        #expect(admitted8, "the probe slot is free again")
        breaker.record(.failure, now: 30_003)
        #expect(breaker.state == .open)
        let admitted9 = breaker.admit(now: 59_999)
        #expect(!admitted9)
        let admitted10 = breaker.admit(now: 60_003)
        #expect(admitted10)
    }

    @Test func successesKeepTheShareUnderHalfAndOldOutcomesLeaveTheWindow() {
        var breaker = RouteBreaker()
        // 4 failures among 9 attempts: under 50 %.
        for index in 0..<9 { breaker.record(index < 4 ? .failure : .success, now: Int64(index)) }
        #expect(breaker.state == .closed)
        // A minute later the window has forgotten them: 4 new failures are not 5 attempts.
        for index in 0..<4 { breaker.record(.failure, now: 70_000 + Int64(index)) }
        #expect(breaker.state == .closed)
        // Neutral verdicts do not count either way.
        for index in 0..<5 { breaker.record(.neutral, now: 70_010 + Int64(index)) }
        #expect(breaker.state == .closed)
        breaker.record(.failure, now: 70_100)
        #expect(breaker.state == .open)
    }

    /// Per replica, by design (`RouteBreakers`): one process's open breaker does not stop another's attempts.
    @Test func eachReplicaJudgesARouteFromItsOwnAttempts() {
        let clock = ManualClock(startingAt: 0)
        let (first, second) = (RouteBreakers(clock: clock), RouteBreakers(clock: clock))
        first.trip(model: "m", route: "fal")
        #expect(!first.admit(model: "m", route: "fal"))
        #expect(second.admit(model: "m", route: "fal"))
        #expect(first.status(of: [("m", "fal")]).map(\.state) == [.open])
        #expect(second.status(of: [("m", "fal")]).map(\.state) == [.closed])
        clock.advance(byMillis: 30_000)
        #expect(first.admit(model: "m", route: "fal"))
        #expect(first.status(of: [("m", "fal")]).map(\.state) == [.halfOpen])
    }
}
