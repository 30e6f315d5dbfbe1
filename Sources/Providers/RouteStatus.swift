import Catalog

/// One usable route as the operator sees it (`GET /admin/v1/routes`, the admin page): where it sits in its model's
/// order, what it bills, whether it sells below the model's price, and its breaker in this process.
package struct RouteStatus: Sendable, Encodable, Equatable {
    package let model: String
    package let route: String
    package let provider: String
    /// 1 for the model's first route.
    package let order: Int
    package let strategy: String
    /// The most the route bills for one image (its price for the dearest size), in micro-USD.
    package let costPerImageMicros: Int64
    package let pricePerImageMicros: Int64
    /// It bills more than the model sells an image for, and the catalog does not call it a promotion.
    package let belowCost: Bool
    package let breaker: String
    /// When the route last failed in this process (Unix milliseconds); null when it has not.
    package let lastFailureAt: Int64?

    enum CodingKeys: String, CodingKey {
        case model, route, provider, order, strategy, breaker
        case costPerImageMicros = "cost_per_image_micros"
        case pricePerImageMicros = "price_per_image_micros"
        case belowCost = "below_cost"
        case lastFailureAt = "last_failure_at"
    }
}

extension RoutedProvider {
    /// Every usable route of `catalog`'s models, in each model's order, with its breaker.
    package func statuses(_ catalog: ModelCatalog) -> [RouteStatus] {
        catalog.models.flatMap { model in
            let assignments = self.assignments(for: model)
            let breakers = self.breakers.status(of: assignments.map { (model.id, $0.name) })
            return zip(assignments, breakers).enumerated().map { index, pair in
                let (assignment, breaker) = pair
                // The local stand-in has no route: what its provider bills for the dearest size.
                let cost =
                    assignment.route?.dearestCost ?? model.parameters.size.values.map { assignment.costPerImage(model, size: $0) }.max() ?? 0
                return RouteStatus(
                    model: model.id,
                    route: assignment.name,
                    provider: assignment.provider.name,
                    order: index + 1,
                    strategy: model.routeStrategy.rawValue,
                    costPerImageMicros: cost,
                    pricePerImageMicros: model.pricePerImageMicros,
                    belowCost: assignment.route?.sellsBelowCost(price: model.pricePerImageMicros) ?? false,
                    breaker: breaker.state.rawValue,
                    lastFailureAt: breaker.lastFailureAt
                )
            }
        }
    }
}
