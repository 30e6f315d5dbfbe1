import AsyncHTTPClient
import Catalog
import Generation
import NIOCore

/// The upstreams `/ready` checks: one per supplier address that a model's usable routes (`RoutePlan`) send work to.
/// Each must answer HTTP at all (any status: the probe sends no key and runs no model, so it costs nothing) within a
/// few seconds; a refused connection, a timeout or a TLS failure makes it unreachable. Each check names the models it
/// serves, so `/ready` fails only when a model has no reachable route left (a model that can fail over to another
/// supplier, or to the local engine, is still served). The local engine has nothing to reach.
enum UpstreamProbes {
    static let timeout: TimeAmount = .seconds(3)

    static func checks(_ config: AppConfiguration, plan: RoutePlan, httpClient: HTTPClient) -> [UpstreamCheck] {
        // By supplier address: its protocol's name, and the models that need it (none when they have a local route).
        var found: [String: (name: String, url: String, models: Set<String>)] = [:]
        for (model, choices) in plan.choices {
            let hasLocalRoute = choices.contains { $0.route?.provider ?? .local == .local }
            for choice in choices {
                guard let route = choice.route, route.provider != .local else { continue }
                guard let url = choice.baseURL ?? (route.provider == .fal ? config.falQueueURL : nil) else { continue }
                let key = "\(route.provider.rawValue) \(url)"
                var entry = found[key] ?? (route.provider.rawValue, url, [])
                if !hasLocalRoute { entry.models.insert(model) }
                found[key] = entry
            }
        }
        return found.keys.sorted().compactMap { found[$0] }.map { name, url, models in
            UpstreamCheck(name: name, models: models) {
                let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: Self.timeout)
                _ = try? await response.body.collect(upTo: 64 * 1024)
            }
        }
    }
}
