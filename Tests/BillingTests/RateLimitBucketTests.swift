import Testing

@testable import Billing

/// The token bucket's arithmetic: a minute's quota, refilled continuously, in whole units with no drift.
@Suite struct RateLimitBucketTests {
    static let perMinute = RateLimit(kind: .requests, perMinute: 3)
    static let token = RateLimit.unitsPerToken

    @Test func aBucketRefillsAtItsRateUpToItsCapacity() {
        let limit = Self.perMinute
        #expect(limit.refilled(level: 0, updatedAt: 0, now: 20_000) == Self.token)
        #expect(limit.refilled(level: 0, updatedAt: 0, now: 59_999) == 3 * Self.token - 3)
        #expect(limit.refilled(level: 0, updatedAt: 0, now: 3_600_000) == 3 * Self.token, "never above a minute's quota")
        #expect(limit.refilled(level: Self.token, updatedAt: 10_000, now: 5_000) == Self.token, "a clock behind refills nothing")
    }

    @Test func theStatusCountsWholeTokensAndTheTimeToFull() {
        let limit = Self.perMinute
        #expect(limit.status(level: 0) == RateLimitStatus(limit: 3, remaining: 0, resetSeconds: 60))
        #expect(limit.status(level: Self.token + 1) == RateLimitStatus(limit: 3, remaining: 1, resetSeconds: 40))
        #expect(limit.status(level: 3 * Self.token) == RateLimitStatus(limit: 3, remaining: 3, resetSeconds: 0))
        #expect(limit.secondsUntil(cost: 1, level: 0) == 20)
        #expect(limit.secondsUntil(cost: 1, level: Self.token - 1) == 1, "never 0: a refusal never says now")
        #expect(limit.secondsUntil(cost: 2, level: Self.token) == 20)
    }

    @Test func theHeadersShowTheLimitNearestToExhaustion() {
        let requests = RateLimitStatus(limit: 600, remaining: 590, resetSeconds: 1)
        let images = RateLimitStatus(limit: 10, remaining: 2, resetSeconds: 48)
        #expect(requests.tighter(than: images) == images)
        #expect(images.tighter(than: requests) == images)
        #expect(images.tighter(than: nil) == images)
    }
}
