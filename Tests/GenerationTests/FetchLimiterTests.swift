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

    /// Holds the tasks that wait on it until it is opened.
    actor Gate {
        private var isOpen = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func wait() async {
            if self.isOpen { return }
            await withCheckedContinuation { self.waiting.append($0) }
        }

        func open() {
            self.isOpen = true
            for continuation in self.waiting { continuation.resume() }
            self.waiting = []
        }
    }

    @Test(.timeLimit(.minutes(1))) func aCallerAtItsBoundDoesNotHoldOthersBack() async {
        let limiter = FetchLimiter(perCaller: 2, total: 32)
        let gate = Gate()
        await withTaskGroup(of: Void.self) { group in
            // The busy caller fills its share, and one more of its fetches waits in the queue.
            for _ in 0..<3 { group.addTask { await limiter.withSlot(for: "busy") { await gate.wait() } } }
            while true {
                let (running, waiting) = (await limiter.inFlight, await limiter.waiting)
                if running == 2 && waiting == 1 { break }
                await Task.yield()
            }
            // Another caller, with room of its own, runs while every busy slot is still held: it is not queued
            // behind the busy caller's waiter (if it were, this would wait for ever, since the gate is still shut).
            await limiter.withSlot(for: "other") {}
            await gate.open()
        }
        #expect(await limiter.inFlight == 0)
    }
}
