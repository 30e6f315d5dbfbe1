import Billing
import Catalog
import Logging

/// Which routes each model may run on, decided once at start from `--provider` and the keys the environment holds.
/// Pure (no connection is opened), so the choice can be tested and said at start before anything runs.
///
/// - `auto` (the default): each model on its routes whose key is configured and whose protocol this build speaks,
///   in the catalog's order (`RoutedProvider` picks among them per generation, by the model's strategy); the routes
///   passed over are said at start. A model with no usable route runs on the labelled `local` stand-in, so a fresh
///   machine without keys still works offline.
/// - `local`: every model on the stand-in.
/// - `fal`: every model on its fal route, with `--fal-key` (today's meaning); a model without one is refused.
package struct RoutePlan: Sendable {
    /// One model's choice.
    package struct Choice: Sendable {
        /// nil: the local stand-in (no usable route, or `--provider local`).
        package let route: ModelRoute?
        /// The route's key (nil for local).
        package let key: String?
        /// The route's address, resolved (nil for local).
        package let baseURL: String?
    }

    /// By model id: its usable routes, in the catalog's order (never empty).
    package let choices: [String: [Choice]]
    /// Why routes were passed over, one line each, for the start-up log.
    package let skipped: [String]
    /// Usable routes that bill more per image than their model sells it for and are not marked `promotion`, one
    /// line each: said at start and on the admin page, since every image sold on them loses money.
    package let belowCost: [String]

    /// The protocols this build can call.
    static let spoken: Set<ModelRoute.Provider> = [.fal, .ark, .replicate, .openai, .local]

    /// Whether any model calls an upstream (then many more generations wait at once than with the local engine).
    package var usesUpstream: Bool { self.choices.values.joined().contains { $0.route.map { $0.provider != .local } ?? false } }

    package static func make(_ config: AppConfiguration, catalog: ModelCatalog) throws -> RoutePlan {
        var choices: [String: [Choice]] = [:]
        var skipped: [String] = []
        for model in catalog.models {
            switch config.provider {
            case "local":
                choices[model.id] = [Choice(route: nil, key: nil, baseURL: nil)]
            case "fal":
                guard let key = config.falKey, !key.isEmpty else {
                    throw ConfigurationError(description: "--provider fal needs --fal-key (or FAL_KEY)")
                }
                let route = model.falRoute
                guard route != nil || (config.falGenerateEndpoint != nil && config.falEditEndpoint != nil) else {
                    throw ConfigurationError(
                        description: "--provider fal: model '\(model.id)' has no fal route (or set --fal-endpoint-generate and --fal-endpoint-edit)"
                    )
                }
                let fal = route ?? ModelRoute(provider: .fal, cost: .flat(0))
                choices[model.id] = [Choice(route: fal, key: key, baseURL: config.falQueueURL)]
            case "auto":
                let (usable, passed) = Self.usable(model, config: config)
                choices[model.id] = usable
                skipped += passed
            default:
                throw ConfigurationError(description: "unknown --provider '\(config.provider)' (available: auto, local, fal)")
            }
        }
        var belowCost: [String] = []
        for model in catalog.models {
            for route in choices[model.id, default: []].compactMap(\.route) where route.sellsBelowCost(price: model.pricePerImageMicros) {
                belowCost.append(
                    "\(model.id) route \(route.name) bills up to \(MicroUSD(micros: route.dearestCost).formatted) per image, above the price of "
                        + "\(MicroUSD(micros: model.pricePerImageMicros).formatted): mark it \"promotion\": true if that is meant"
                )
            }
        }
        return RoutePlan(choices: choices, skipped: skipped, belowCost: belowCost)
    }

    /// The model's routes that can run here, and why each other route cannot.
    static func usable(_ model: ModelSpec, config: AppConfiguration) -> ([Choice], [String]) {
        var usable: [Choice] = []
        var passed: [String] = []
        for (index, route) in model.routes.enumerated() {
            let label = "\(model.id) route \(index + 1) (\(route.provider))"
            guard Self.spoken.contains(route.provider) else {
                passed.append("\(label): this build does not speak \(route.provider) yet")
                continue
            }
            if route.provider == .local {
                usable.append(Choice(route: route, key: nil, baseURL: nil))
                continue
            }
            guard let key = Self.key(for: route, config: config) else {
                passed.append("\(label): no key in \(route.keyVariable ?? "its key variable")")
                continue
            }
            // fal routes without their own address follow --fal-queue-url, as they did before routes.
            let baseURL =
                route.provider == .fal && route.baseURL == nil && route.baseURLEnv.flatMap({ config.environment[$0] }) == nil
                ? config.falQueueURL : route.resolvedBaseURL(environment: config.environment)
            usable.append(Choice(route: route, key: key, baseURL: baseURL))
        }
        guard usable.isEmpty else { return (usable, passed) }
        passed.append("\(model.id): no usable route, runs on the local stand-in")
        return ([Choice(route: nil, key: nil, baseURL: nil)], passed)
    }

    /// The route's key from the environment; a fal route that names no variable of its own also takes `--fal-key`.
    static func key(for route: ModelRoute, config: AppConfiguration) -> String? {
        if route.provider == .fal, route.apiKeyEnv == nil, let key = config.falKey, !key.isEmpty { return key }
        guard let variable = route.keyVariable, let key = config.environment[variable], !key.isEmpty else { return nil }
        return key
    }

    /// Says at start what runs where (never a key).
    func log(_ logger: Logger, catalog: ModelCatalog) {
        for model in catalog.models {
            for (index, choice) in self.choices[model.id, default: []].enumerated() {
                let runsOn = choice.route.map { "\($0.provider)" + ($0.model.map { " (\($0))" } ?? "") } ?? "local stand-in"
                logger.info(
                    "model route",
                    metadata: [
                        "model": "\(model.id)", "route": "\(choice.route?.name ?? "local")", "order": "\(index + 1)", "runs_on": "\(runsOn)",
                        "base_url": "\(choice.baseURL ?? "-")", "strategy": "\(model.routeStrategy.rawValue)",
                    ]
                )
            }
        }
        for line in self.skipped { logger.notice("route skipped", metadata: ["why": "\(line)"]) }
        for line in self.belowCost { logger.warning("route sells below cost", metadata: ["why": "\(line)"]) }
    }
}
