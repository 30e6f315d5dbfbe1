import Essentials
import Metrics
import Synchronization

/// Every route's breaker in this process, by model and route.
///
/// Per replica, on purpose: each replica judges a supplier from its own attempts, which takes no database round trip
/// on the hot path and keeps working when the database is slow. The price is that with N replicas a failing route
/// gets up to N × `minimumAttempts` attempts before every replica has opened its breaker; those attempts fail over
/// (they are the ones that provably started nothing), so it costs time, never money. `RouteBreakersTests` shows two
/// replicas judging on their own.
package final class RouteBreakers: Sendable {
    /// A route's breaker as the admin API and the metrics show it.
    package struct Status: Sendable, Equatable {
        package let model: String
        package let route: String
        package let state: RouteBreaker.State
        package let lastFailureAt: Int64?
    }

    private let breakers: Mutex<[Key: RouteBreaker]>
    private let policy: RouteBreaker.Policy
    private let clock: any WallClock

    private struct Key: Hashable {
        let model: String
        let route: String
    }

    package init(policy: RouteBreaker.Policy = RouteBreaker.Policy(), clock: any WallClock = SystemClock()) {
        self.breakers = Mutex([:])
        self.policy = policy
        self.clock = clock
    }

    /// Whether an attempt on the route may go through now (see `RouteBreaker.admit`).
    package func admit(model: String, route: String) -> Bool {
        self.change(model: model, route: route) { breaker, now in breaker.admit(now: now) }
    }

    /// Counts an admitted attempt's outcome.
    package func record(_ verdict: RouteBreaker.Verdict, model: String, route: String) {
        self.change(model: model, route: route) { breaker, now in breaker.record(verdict, now: now) }
    }

    /// Opens the route's breaker at once.
    package func trip(model: String, route: String) {
        self.change(model: model, route: route) { breaker, now in breaker.trip(now: now) }
    }

    /// When the route last failed (nil: never, in this process).
    package func lastFailure(model: String, route: String) -> Int64? {
        self.breakers.withLock { $0[Key(model: model, route: route)]?.lastFailureAt }
    }

    /// Each route's state; routes never attempted are closed.
    package func status(of routes: [(model: String, route: String)]) -> [Status] {
        self.breakers.withLock { breakers in
            routes.map { model, route in
                let breaker = breakers[Key(model: model, route: route)]
                return Status(model: model, route: route, state: breaker?.state ?? .closed, lastFailureAt: breaker?.lastFailureAt)
            }
        }
    }

    /// Publishes every route's state as `imagegate_route_breaker_state`, so a route never attempted still shows (0).
    package func publish(_ routes: [(model: String, route: String)]) {
        for status in self.status(of: routes) { Self.gauge(status.model, status.route, status.state) }
    }

    private func change<T>(model: String, route: String, _ body: (inout RouteBreaker, Int64) -> T) -> T {
        let now = self.clock.nowMillis()
        let key = Key(model: model, route: route)
        let (result, before, after) = self.breakers.withLock { breakers in
            var breaker = breakers[key] ?? RouteBreaker(policy: self.policy)
            let before = breaker.state
            let result = body(&breaker, now)
            breakers[key] = breaker
            return (result, before, breaker.state)
        }
        if before != after { Self.gauge(model, route, after) }
        return result
    }

    private static func gauge(_ model: String, _ route: String, _ state: RouteBreaker.State) {
        Gauge(label: "imagegate_route_breaker_state", dimensions: [("model", model), ("route", route)]).record(state.gauge)
    }
}
