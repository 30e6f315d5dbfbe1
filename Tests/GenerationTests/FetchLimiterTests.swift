import Testing

@testable import Generation

/// Reference fetches in flight stay within the per-caller and server-wide bounds, and one caller at its bound does
/// not hold the others back.
@Suite struct FetchLimiterTests {
    /// Counts fetches running at once, per caller and in all.
    actor Gauge {
        var now: [String: Int] = [:]
        var peak: [String: Int] = [:]
        var total = 0
        var peakTotal = 0
        var finished: [String] = []

        func enter(_ caller: String) {
            self.now[caller, default: 0] += 1
            self.total += 1
            self.peak[caller] = max(self.peak[caller, default: 0], self.now[caller]!)
            self.peakTotal = max(self.peakTotal, self.total)
        }

        func leave(_ caller: String) {
            self.now[caller]! -= 1
            self.total -= 1
            self.finished.append(caller)
        }
    }

    func run(_ limiter: FetchLimiter, callers: [(String, Int)]) async -> Gauge {
        let gauge = Gauge()
        await withTaskGroup(of: Void.self) { group in
            for (caller, count) in callers {
                for _ in 0..<count {
                    group.addTask {
                        await limiter.withSlot(for: caller) {
                            await gauge.enter(caller)
                            try? await Task.sleep(for: .milliseconds(20))
                            await gauge.leave(caller)
                        }
                    }
                }
            }
        }
        return gauge
    }

    @Test func oneCallerNeverHasMoreThanItsShare() async {
        let gauge = await self.run(FetchLimiter(perCaller: 3, total: 32), callers: [("key_a", 12)])
        #expect(await gauge.peak["key_a"] == 3)
        #expect(await gauge.finished.count == 12)
    }

    @Test func theServerNeverHasMoreThanItsTotal() async {
        let gauge = await self.run(FetchLimiter(perCaller: 10, total: 5), callers: [("key_a", 8), ("key_b", 8), ("key_c", 8)])
        #expect(await gauge.peakTotal == 5)
        #expect(await gauge.finished.count == 24)
    }

    @Test func aCallerAtItsBoundDoesNotHoldOthersBack() async {
        let limiter = FetchLimiter(perCaller: 2, total: 32)
        let gauge = Gauge()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    await limiter.withSlot(for: "busy") {
                        await gauge.enter("busy"); try? await Task.sleep(for: .milliseconds(30)); await gauge.leave("busy")
                    }
                }
            }
            // Let the busy caller fill its share and queue the rest.
            while await limiter.inFlight < 2 { await Task.yield() }
            group.addTask {
                await limiter.withSlot(for: "other") {
                    await gauge.enter("other"); await gauge.leave("other")
                }
            }
        }
        let finished = await gauge.finished
        let other = try? #require(finished.firstIndex(of: "other"))
        #expect((other ?? 99) < 6, "the other caller ran long before the busy one's queue drained: \(finished)")
    }
}
