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
    /// A number in `0..<bound`, for the `weighted` strategy (injected so tests can choose).
    let draw: @Sendable (_ bound: Int) -> Int

    package init(
        routes: [String: [Assignment]],
        fallback: any ImageProvider = LocalProvider(),
        breakers: RouteBreakers = RouteBreakers(),
        draw: @escaping @Sendable (_ bound: Int) -> Int = { Int.random(in: 0..<$0) }
    ) {
        self.routes = routes.filter { !$0.value.isEmpty }
        self.fallback = fallback
        self.breakers = breakers
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
        // A saved handle is its route's to follow; another supplier could only start the work again.
        if context.resume != nil {
            let recorded = request.recordedRoute ?? request.recordedProvider
            guard let owner = all.first(where: { $0.name == recorded }) ?? all.first(where: { $0.provider.name == recorded }) else {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The generation was started on \(recorded ?? "a route") that this server no longer runs; it was not sent again.",
                    upstreamType: "route_gone",
                    billedImages: request.numImages
                )
            }
            return try await self.attempt(owner, request, context: context)
        }
        let candidates = self.ordered(
            all.filter { $0.route?.refusal(size: request.sizeTier, references: request.references.count, images: request.numImages) == nil },
            for: request
        )
        var passedOver: [Assignment] = []
        var next = self.nextAdmitted(candidates[...], model: request.model.id, passedOver: &passedOver)
        // Every route's breaker is open: the least recently failed one is tried rather than refusing the generation.
        if next == nil {
            next = passedOver.min { (self.lastFailure($0, request) ?? 0) < (self.lastFailure($1, request) ?? 0) }.map {
                ($0, ArraySlice<Assignment>())
            }
        }
        guard var (current, rest) = next else {
            throw ProviderError(code: .upstreamFailed, message: "No route of this model can serve the request.")
        }
        while true {
            do {
                return try await self.attempt(current, request, context: context)
            } catch let error where error.failsOver && !Task.isCancelled {
                guard let (following, remaining) = self.nextAdmitted(rest, model: request.model.id, passedOver: &passedOver) else { throw error }
                do {
                    try await context.attemptFailed(current.attempt(request), error)
                } catch {
                    throw ProviderError(code: .interrupted, message: "The generation's lease was lost while it changed route.")
                }
                (current, rest) = (following, remaining)
            }
        }
    }

    /// One attempt on one route: announced to the books, run, and judged by the route's breaker.
    func attempt(_ assignment: Assignment, _ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let (model, route) = (request.model.id, assignment.name)
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

    /// The first of `candidates` whose breaker lets an attempt through, and the candidates after it; the ones passed
    /// over are added to `passedOver`.
    func nextAdmitted(
        _ candidates: ArraySlice<Assignment>,
        model: String,
        passedOver: inout [Assignment]
    ) -> (Assignment, ArraySlice<Assignment>)? {
        var rest = candidates
        while let candidate = rest.popFirst() {
            if self.breakers.admit(model: model, route: candidate.name) { return (candidate, rest) }
            passedOver.append(candidate)
        }
        return nil
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
