/// One route's circuit breaker: a state machine over the outcomes of the route's recent attempts, in milliseconds
/// of the injected clock.
///
/// - closed: every attempt goes through; once the window holds at least `minimumAttempts` outcomes and at least
///   `failureShare` of them failed, it opens.
/// - open: attempts are refused for `cooldownMillis`; then one probe goes through (half-open).
/// - half-open: the probe's success closes it (with a clean window); its failure opens it again. While the probe
///   runs, other attempts are refused.
///
/// A route the supplier refuses outright (a key refused, a closed endpoint) opens at once: `trip`.
package struct RouteBreaker: Sendable {
    /// Where the breaker stands.
    package enum State: String, Sendable, Equatable {
        case closed, open
        case halfOpen = "half_open"

        /// The value of `imagegate_route_breaker_state`: 0 closed, 1 half-open, 2 open.
        package var gauge: Int {
            switch self {
            case .closed: 0
            case .halfOpen: 1
            case .open: 2
            }
        }
    }

    /// What an attempt on the route said about the route's health.
    package enum Verdict: Sendable, Equatable {
        /// Images came back.
        case success
        /// The route failed (refused, unreachable, failed upstream, an unknown outcome).
        case failure
        /// Nothing about the route (the user's input refused, a content-policy refusal, a cancel, a shutdown).
        case neutral
    }

    /// When a breaker opens and for how long. The defaults sit where the peers' do (LiteLLM's cooldown after 50 %
    /// failures of at least 5 requests; Envoy's and resilience4j's half-open probe).
    package struct Policy: Sendable, Equatable {
        package var minimumAttempts = 5
        package var failureShare = 0.5
        package var windowMillis: Int64 = 60_000
        package var cooldownMillis: Int64 = 30_000

        package init(cooldownMillis: Int64 = 30_000) {
            self.cooldownMillis = cooldownMillis
        }
    }

    package let policy: Policy
    package private(set) var state: State = .closed
    /// Outcomes in the window, oldest first: when, and whether it failed.
    private var outcomes: [(at: Int64, failed: Bool)] = []
    private var openedAt: Int64 = 0
    private var probing = false
    /// The last failure's time: when every route of a model is open, the least recently failed one is tried.
    package private(set) var lastFailureAt: Int64?

    package init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Whether an attempt may go through now; half-opens an open breaker whose cooldown is over (this attempt is then
    /// its probe).
    package mutating func admit(now: Int64) -> Bool {
        switch self.state {
        case .closed:
            return true
        case .open:
            guard now - self.openedAt >= self.policy.cooldownMillis else { return false }
            self.state = .halfOpen
            self.probing = true
            return true
        case .halfOpen:
            guard !self.probing else { return false }
            self.probing = true
            return true
        }
    }

    /// Counts an admitted attempt's outcome.
    package mutating func record(_ verdict: Verdict, now: Int64) {
        if verdict == .failure { self.lastFailureAt = now }
        switch self.state {
        case .halfOpen:
            self.probing = false
            switch verdict {
            case .success: self.close()
            case .failure: self.open(now: now)
            case .neutral: break
            }
        case .open:
            // An attempt forced through an open breaker (every route of the model was open): only a success says more.
            if verdict == .success { self.close() }
        case .closed:
            guard verdict != .neutral else { return }
            self.outcomes.append((now, verdict == .failure))
            self.outcomes.removeFirst(self.outcomes.prefix { now - $0.at > self.policy.windowMillis }.count)
            let failures = self.outcomes.count { $0.failed }
            if self.outcomes.count >= self.policy.minimumAttempts,
                Double(failures) >= self.policy.failureShare * Double(self.outcomes.count)
            {
                self.open(now: now)
            }
        }
    }

    /// Opens at once: the supplier refused the route itself (until an operator acts, every attempt would fail).
    package mutating func trip(now: Int64) {
        self.lastFailureAt = now
        self.probing = false
        self.open(now: now)
    }

    private mutating func open(now: Int64) {
        self.state = .open
        self.openedAt = now
        self.outcomes.removeAll()
    }

    private mutating func close() {
        self.state = .closed
        self.outcomes.removeAll()
    }
}
