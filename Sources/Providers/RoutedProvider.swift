import Catalog

/// Runs each model on the supplier chosen for it at start (`RoutePlan` in the app), behind the one provider the
/// engine knows. Providers are looked up per model and per route, so the next step (failing over between a
/// model's routes) changes the choice here, not the engine.
package struct RoutedProvider: ImageProvider {
    /// A model's chosen route and the provider that speaks its protocol.
    package struct Assignment: Sendable {
        /// nil for the labelled `local` stand-in of a model with no usable route.
        package let route: ModelRoute?
        package let provider: any ImageProvider

        package init(route: ModelRoute?, provider: any ImageProvider) {
            self.route = route
            self.provider = provider
        }
    }

    package let name = "routes"
    let assignments: [String: Assignment]
    /// Runs a model the plan does not know (none, when the plan covers the catalog).
    let fallback: any ImageProvider
    /// Every provider built, by name: a generation that saved a handle is followed by the provider that saved it.
    let byName: [String: any ImageProvider]

    package init(assignments: [String: Assignment], fallback: any ImageProvider = LocalProvider()) {
        self.assignments = assignments
        self.fallback = fallback
        var byName: [String: any ImageProvider] = [fallback.name: fallback]
        for assignment in assignments.values.sorted(by: { $0.provider.name < $1.provider.name }) {
            byName[assignment.provider.name] = byName[assignment.provider.name] ?? assignment.provider
        }
        self.byName = byName
    }

    /// Whether every model runs on the local stand-in (the pages then say so).
    package var isLocalOnly: Bool { self.assignments.values.allSatisfy { $0.provider.name == "local" } }

    package func assignment(for model: ModelSpec) -> Assignment {
        self.assignments[model.id] ?? Assignment(route: nil, provider: self.fallback)
    }

    package func providerName(for model: ModelSpec) -> String { self.assignment(for: model).provider.name }

    package func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 {
        let assignment = self.assignment(for: model)
        return assignment.route?.costPerImage(size: size) ?? assignment.provider.upstreamCostPerImage(model, size: size)
    }

    package func refusal(for model: ModelSpec, size: String, references: Int, images: Int) -> RouteRefusal? {
        self.assignment(for: model).route?.refusal(size: size, references: references, images: images)
    }

    package func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let current = self.assignment(for: request.model).provider
        // A saved handle is the recorded provider's to follow; another supplier could only start the work again.
        if context.resume != nil, let recorded = request.recordedProvider, recorded != current.name {
            guard let owner = self.byName[recorded] else {
                throw ProviderError(
                    code: .outcomeUnknown,
                    message: "The generation was started on \(recorded), which this server no longer runs; it was not sent again.",
                    upstreamType: "route_gone",
                    billedImages: request.numImages
                )
            }
            return try await owner.generate(request, context: context)
        }
        return try await current.generate(request, context: context)
    }
}
