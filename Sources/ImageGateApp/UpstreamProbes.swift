import AsyncHTTPClient
import Generation
import NIOCore

/// The upstreams `/ready` checks, by `--provider`: fal's queue host must answer HTTP at all (any status: the probe
/// sends no key and runs no model, so it costs nothing), within a few seconds. A refused connection, a timeout or a
/// TLS failure makes it unreachable. The local engine has nothing to reach.
enum UpstreamProbes {
    static let timeout: TimeAmount = .seconds(3)

    static func checks(_ config: AppConfiguration, httpClient: HTTPClient) -> [UpstreamCheck] {
        guard config.provider == "fal" else { return [] }
        let url = config.falQueueURL
        return [
            UpstreamCheck(name: "fal") {
                let request = HTTPClientRequest(url: url)
                let response = try await httpClient.execute(request, timeout: Self.timeout)
                _ = try? await response.body.collect(upTo: 64 * 1024)
            }
        ]
    }
}
