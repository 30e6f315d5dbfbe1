import AsyncHTTPClient
import Catalog
import Generation
import NIOCore

/// The upstreams `/ready` checks: one per supplier address that a model's chosen route (`RoutePlan`) sends work to.
/// Each must answer HTTP at all (any status: the probe sends no key and runs no model, so it costs nothing) within a
/// few seconds; a refused connection, a timeout or a TLS failure makes it unreachable. A model runs on its one chosen
/// route, so an unreachable upstream leaves its models with no usable route. The local engine has nothing to reach.
enum UpstreamProbes {
    static let timeout: TimeAmount = .seconds(3)

    static func checks(_ config: AppConfiguration, plan: RoutePlan, httpClient: HTTPClient) -> [UpstreamCheck] {
        var seen: Set<String> = []
        var checks: [UpstreamCheck] = []
        for choice in plan.choices.values.sorted(by: { ($0.baseURL ?? "") < ($1.baseURL ?? "") }) {
            guard let route = choice.route, route.provider != .local else { continue }
            guard let url = choice.baseURL ?? (route.provider == .fal ? config.falQueueURL : nil) else { continue }
            guard seen.insert("\(route.provider.rawValue) \(url)").inserted else { continue }
            checks.append(
                UpstreamCheck(name: route.provider.rawValue) {
                    let response = try await httpClient.execute(HTTPClientRequest(url: url), timeout: Self.timeout)
                    _ = try? await response.body.collect(upTo: 64 * 1024)
                }
            )
        }
        return checks
    }
}
