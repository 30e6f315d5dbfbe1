import Catalog

/// Runs each model on its usable routes (`RoutePlan` in the app chose them at start), behind the one provider the
/// engine knows: it orders the routes by the model's strategy, passes over routes whose breaker is open, and moves a
/// generation to the next route only when the failed attempt provably started nothing billable
/// (`ProviderError.failsOver`). Each attempt is announced to the books through the context before it starts, so the
/// runner records the route, and what it bills, before any submit; a failover closes it there first.
package struct RoutedProvider: ImageProvider {
    /// One usable route of a model and the provider that speaks its protocol.
    package struct Assignment: Sendable {
        /// nil for the labelled `local` stand-in of a model with no usable route.
        package let route: ModelRoute?
        package let provider: any ImageProvider

        package init(route: ModelRoute?, provider: any ImageProvider) {
            self.route = route
            self.provider = provider
        }

        /// The route's name in the books.
        package var name: String { self.route?.name ?? self.provider.name }

        /// The route's concurrency cap in this process (nil: none).
        var cap: Int? { self.route?.maxConcurrency }

        func costPerImage(_ model: ModelSpec, size: String) -> Int64 {
            self.route?.costPerImage(size: size) ?? self.provider.upstreamCostPerImage(model, size: size)
        }

        func attempt(_ request: ProviderRequest) -> RouteAttempt {
            RouteAttempt(route: self.name, provider: self.provider.name, costPerImage: self.costPerImage(request.model, size: request.sizeTier))
        }
    }

    package let name = "routes"
    /// By model id: the model's usable routes in the catalog's order (never empty).
    let routes: [String: [Assignment]]
    /// Runs a model the plan does not know (none, when the plan covers the catalog).
    let fallback: any ImageProvider
    package let breakers: RouteBreakers
    /// The generations running on each route with a concurrency cap.
    package let slots: RouteSlots
    /// A number in `0..<bound`, for the `weighted` strategy (injected so tests can choose).
    let draw: @Sendable (_ bound: Int) -> Int

    package init(
        routes: [String: [Assignment]],
        fallback: any ImageProvider = LocalProvider(),
        breakers: RouteBreakers = RouteBreakers(),
        slots: RouteSlots = RouteSlots(),
        draw: @escaping @Sendable (_ bound: Int) -> Int = { Int.random(in: 0..<$0) }
    ) {
        self.routes = routes.filter { !$0.value.isEmpty }
        self.fallback = fallback
        self.breakers = breakers
        self.slots = slots
        self.draw = draw
    }

    /// Whether every model runs on the local stand-in (the pages then say so).
    package var isLocalOnly: Bool { self.routes.values.joined().allSatisfy { $0.provider.name == "local" } }

    /// The model's usable routes, in the catalog's order.
    package func assignments(for model: ModelSpec) -> [Assignment] {
        self.routes[model.id] ?? [Assignment(route: nil, provider: self.fallback)]
    }

    /// Every usable route, by model, for the admin API and the breaker metrics.
    package var routeNames: [(model: String, route: String)] {
        self.routes.keys.sorted().flatMap { model in self.routes[model, default: []].map { (model, $0.name) } }
    }

    /// The first route's protocol: what a new generation is recorded with until an attempt says otherwise.
    package func providerName(for model: ModelSpec) -> String { self.assignments(for: model)[0].provider.name }

    /// The first route's price: the quote a new generation carries until an attempt names its route's own.
    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 {
        self.assignments(for: model)[0].costPerImage(model, size: size)
    }

    /// A refusal only when no usable route can serve the request (the first route's reason then).
    package func refusal(for model: ModelSpec, size: String, references: Int, images: Int) -> RouteRefusal? {
        let refusals = self.assignments(for: model).map { $0.route?.refusal(size: size, references: references, images: images) }
        return refusals.contains { $0 == nil } ? nil : refusals.first ?? nil
    }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let all = self.assignments(for: request.model)
        // A saved handle is its route's to follow; another route could only start the work again. A generation from
        // before routes were recorded names only its protocol: the first route that speaks it follows the handle.
        if context.resume != nil {
            let recorded = request.recordedRoute ?? request.recordedProvider
            let owner =
                request.recordedRoute != nil
                ? all.first { $0.name == request.recordedRoute } : all.first { $0.provider.name == request.recordedProvider }
            guard let owner else {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The generation was started on \(recorded ?? "a route") that this server no longer runs; it was not sent again.",
                    upstreamType: "route_gone",
                    billedImages: request.numImages
                )
            }
            guard await self.slots.acquire(self.slotKey(owner, request.model.id), limit: owner.cap) else {
                throw ProviderError(code: .interrupted, message: "Stopped while it waited for a free slot on its route.")
            }
            return try await self.attempt(owner, request, context: context)
        }
        let candidates = self.ordered(
            all.filter { $0.route?.refusal(size: request.sizeTier, references: request.references.count, images: request.numImages) == nil },
            for: request
        )
        guard var (current, rest) = await self.next(candidates[...], request: request, openRoutesToo: true) else {
            throw ProviderError(code: .upstreamFailed, message: "No route of this model can serve the request.")
        }
        while true {
            do {
                return try await self.attempt(current, request, context: context)
            } catch let error where self.movesOn(after: error, on: current) && !Task.isCancelled {
                // No route left (or every one open): the error is the generation's end, and its attempt closes with it.
                guard let following = await self.next(rest, request: request, openRoutesToo: false) else {
                    if Task.isCancelled { throw ProviderError(code: .interrupted, message: "Stopped while it waited for a free slot.") }
                    throw error
                }
                do {
                    try await context.attemptFailed(current.attempt(request), error)
                } catch {
                    self.slots.release(self.slotKey(following.0, request.model.id), limit: following.0.cap)
                    throw ProviderError(code: .interrupted, message: "The attempt could not be recorded; the generation resumes later.")
                }
                (current, rest) = following
            }
        }
    }

    /// Whether a failed attempt on `assignment` passes its generation to the next route: when it provably started
    /// nothing billable, or when the route opted in to resending after an unknown outcome.
    func movesOn(after error: ProviderError, on assignment: Assignment) -> Bool {
        error.failsOver || (error.resendsOnOptIn && assignment.route?.resendAfterUnknown == true)
    }

    /// The first of `candidates` whose breaker lets an attempt through and that has a free slot, and the candidates
    /// after it; a slot on it is held for the caller. When none can take it now: the first one whose only obstacle
    /// is its concurrency cap, once a slot frees up; else, with `openRoutesToo`, the least recently failed of those
    /// whose breaker is open (rather than refusing the generation). Nil when no route is left, or the task was
    /// cancelled while it waited.
    func next(
        _ candidates: ArraySlice<Assignment>,
        request: ProviderRequest,
        openRoutesToo: Bool
    ) async -> (Assignment, ArraySlice<Assignment>)? {
        let model = request.model.id
        var (rest, passedOver, full) = (candidates, [Assignment](), [(Assignment, ArraySlice<Assignment>)]())
        while let candidate = rest.popFirst() {
            guard self.slots.tryAcquire(self.slotKey(candidate, model), limit: candidate.cap) else {
                full.append((candidate, rest))
                continue
            }
            if self.breakers.admit(model: model, route: candidate.name) { return (candidate, rest) }
            self.slots.release(self.slotKey(candidate, model), limit: candidate.cap)
            passedOver.append(candidate)
        }
        let chosen: (Assignment, ArraySlice<Assignment>)?
        if let first = full.first {
            chosen = first
        } else if openRoutesToo {
            chosen = passedOver.min { (self.lastFailure($0, request) ?? 0) < (self.lastFailure($1, request) ?? 0) }.map { ($0, []) }
        } else {
            chosen = nil
        }
        guard let chosen, await self.slots.acquire(self.slotKey(chosen.0, model), limit: chosen.0.cap) else { return nil }
        return chosen
    }

    func slotKey(_ assignment: Assignment, _ model: String) -> String { "\(model)/\(assignment.name)" }

    /// One attempt on one route, which holds a slot there (given back at its end): announced to the books, run, and
    /// judged by the route's breaker.
    func attempt(_ assignment: Assignment, _ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let (model, route) = (request.model.id, assignment.name)
        defer { self.slots.release(self.slotKey(assignment, model), limit: assignment.cap) }
        do {
            try await context.attempt(assignment.attempt(request))
        } catch {
            self.breakers.record(.neutral, model: model, route: route)
            throw ProviderError(code: .interrupted, message: "The attempt could not be recorded; the generation resumes later.")
        }
        do {
            let outcome = try await assignment.provider.generate(request, context: context)
            self.breakers.record(.success, model: model, route: route)
            return outcome
        } catch {
            if error.code == .routeUnusable {
                self.breakers.trip(model: model, route: route)
            } else {
                self.breakers.record(error.breakerVerdict, model: model, route: route)
            }
            throw error
        }
    }

    /// The routes in the order the model's strategy tries them.
    func ordered(_ routes: [Assignment], for request: ProviderRequest) -> [Assignment] {
        switch request.model.routeStrategy {
        case .priority:
            return routes
        case .cheapest:
            // Stable: equal prices keep the catalog's order. The count is the same on every route, so the price of
            // one image orders them as the price of the request does.
            return routes.enumerated().sorted {
                let (left, right) = (
                    $0.element.costPerImage(request.model, size: request.sizeTier), $1.element.costPerImage(request.model, size: request.sizeTier)
                )
                return left != right ? left < right : $0.offset < $1.offset
            }.map(\.element)
        case .weighted:
            let weights = routes.map { max(0, $0.route?.weight ?? 1) }
            let total = weights.reduce(0, +)
            guard total > 0 else { return routes }
            var point = self.draw(total)
            var chosen = 0
            for (index, weight) in weights.enumerated() {
                if point < weight {
                    chosen = index
                    break
                }
                point -= weight
            }
            var order = routes
            order.insert(order.remove(at: chosen), at: 0)
            return order
        }
    }

    func lastFailure(_ assignment: Assignment, _ request: ProviderRequest) -> Int64? {
        self.breakers.lastFailure(model: request.model.id, route: assignment.name)
    }
}
