import Catalog
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import WebFace

/// The model page's "Last 24 hours" panel: the share that succeeded and the median time, from the figures the
/// books give; a model nobody used says so; an address that is no model is never looked up.
@Suite struct ModelUptimeTests {
    /// The models the page asked figures for.
    final class Asked: Sendable {
        let names = Mutex<[String]>([])
    }

    static func app(_ health: ModelHealth?, asked: Asked? = nil) throws -> some ApplicationProtocol {
        let router = Router()
        let settings = WebSettings(publicURL: "http://gate.test", retentionSeconds: 7 * 86_400, adminEnabled: false)
        WebController<BasicRequestContext>(pages: WebPages(catalog: try ModelCatalog.bundled(), settings: settings)) { model in
            asked?.names.withLock { $0.append(model) }
            return health
        }
        .addRoutes(to: router)
        return Application(router: router)
    }

    @Test func theShareThatSucceededAndTheMedianTimeAreShown() async throws {
        try await Self.app(ModelHealth(ended: 200, completed: 197, medianMillis: 6_240)).test(.router) { client in
            let page = String(buffer: try await client.execute(uri: "/models/bytedance/seedream-5-lite", method: .get).body)
            #expect(page.contains(#"<strong id="uptime-success">98.5%</strong> of 200 generations succeeded"#))
            #expect(page.contains(#"<strong id="uptime-median">6.2 s</strong> median to a finished image"#))
        }
    }

    @Test func aModelNobodyUsedSaysSoAndAnUnknownAddressIsNotLookedUp() async throws {
        let asked = Asked()
        try await Self.app(ModelHealth(ended: 0, completed: 0, medianMillis: nil), asked: asked).test(.router) { client in
            let page = String(buffer: try await client.execute(uri: "/models/bytedance/seedream-5-lite", method: .get).body)
            #expect(page.contains("No generation of this model ended in the last 24 hours."))
            let missing = try await client.execute(uri: "/models/bytedance/not-a-model", method: .get)
            #expect(missing.status == .notFound)
        }
        #expect(asked.names.withLock { $0 } == ["seedream-5-lite"])
    }
}
