import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import WebFace

/// The web face's routes over HTTP, with real templates and assets: what each page says is derived from the catalog
/// and the server's settings, every page carries its security headers, and assets are cached under hashed names.
@Suite struct WebPagesTests {
    static func app(_ catalog: ModelCatalog, retention: Int64 = 7 * 86_400, admin: Bool = false) -> some ApplicationProtocol {
        let router = Router()
        let settings = WebSettings(publicURL: "http://gate.test:8080", retentionSeconds: retention, adminEnabled: admin)
        WebController<BasicRequestContext>(pages: WebPages(catalog: catalog, settings: settings)).addRoutes(to: router)
        return Application(router: router)
    }

    static func text(_ response: TestResponse) -> String { String(buffer: response.body) }

    @Test func theRootLeadsToTheCatalogue() async throws {
        try await Self.app(try ModelCatalog.bundled()).test(.router) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .found)
            #expect(response.headers[.location] == "/models")
        }
    }

    @Test func theCatalogueShowsEveryModelWithItsPriceAndTheDiscountComputedFromBothPrices() async throws {
        try await Self.app(try TestCatalogs.threeModels()).test(.router) { client in
            let page = Self.text(try await client.execute(uri: "/models", method: .get))
            #expect(page.contains("href=\"/models/bytedance/seedream-5-lite\""))
            #expect(page.contains("href=\"/models/blackforest/flux-mini\""))
            #expect(page.contains("href=\"/models/blackforest/plain-draw\""))
            #expect(page.contains("<strong>$0.014</strong> / image"))
            #expect(page.contains("Up to 60% off"))
            // 0.003 against 0.004 is 25 % off; a model sold at retail shows no discount at all.
            #expect(page.contains("Up to 25% off"))
            #expect(page.components(separatedBy: "% off").count == 3)
            #expect(page.contains("ByteDance") && page.contains("Black Forest"))
        }
    }

    @Test func aTagFiltersTheCatalogue() async throws {
        try await Self.app(try TestCatalogs.threeModels()).test(.router) { client in
            let fast = Self.text(try await client.execute(uri: "/models?tag=fast", method: .get))
            #expect(!fast.contains("/models/bytedance/seedream-5-lite\""))
            #expect(fast.contains("/models/blackforest/flux-mini\"") && fast.contains("/models/blackforest/plain-draw\""))
            #expect(fast.contains("href=\"/models?tag=fast\" aria-current=\"true\""))
            let none = Self.text(try await client.execute(uri: "/models?tag=%3Cb%3Enope", method: .get))
            #expect(none.contains("No model has the tag “&lt;b&gt;nope”"))
        }
    }

    @Test func theModelPagesParameterTableFollowsTheValidatorsRules() async throws {
        try await Self.app(try TestCatalogs.withMaxImages(3)).test(.router) { client in
            let page = Self.text(try await client.execute(uri: "/models/bytedance/seedream-5-lite", method: .get))
            #expect(page.contains("Range: 1–3."))
            #expect(!page.contains("Range: 1–6."))
        }
        try await Self.app(try ModelCatalog.bundled()).test(.router) { client in
            let page = Self.text(try await client.execute(uri: "/models/bytedance/seedream-5-lite", method: .get))
            #expect(page.contains("Range: 1–6."))
            #expect(page.contains("id=\"table-generate\"") && page.contains("id=\"table-edit\""))
            #expect(page.contains("One of: auto, 1:1, 4:3, 3:4, 16:9, 9:16, 3:2, 2:3, 21:9."))
            #expect(page.contains("Backed by <code>fal-ai/bytedance/seedream/v5/lite/edit</code>"))
            #expect(page.contains("Pay-as-you-go — no subscription, no tokens."))
            #expect(page.contains("Retail <s>$0.035</s>"))
            #expect(page.contains("href=\"/playground?model=seedream-5-lite\""))
        }
    }

    @Test func theQuickstartPointsAtThisServersPublicURLAndTheRetentionIsTheServers() async throws {
        try await Self.app(try ModelCatalog.bundled(), retention: 2 * 3_600).test(.router) { client in
            let page = Self.text(try await client.execute(uri: "/models/bytedance/seedream-5-lite", method: .get))
            #expect(page.contains("curl -X POST &quot;http://gate.test:8080/v1/generate&quot;"))
            #expect(page.contains("base_url=&quot;http://gate.test:8080/v1&quot;"))
            #expect(page.contains("export IMAGEGATE_URL=http://gate.test:8080"))
            #expect(page.contains("valid for 2 hours after the generation"))
        }
    }

    @Test func pagesSayWhenTheServerDrawsWithItsLocalStandIn() async throws {
        for (provider, shown) in [("local", true), ("fal", false)] {
            let router = Router()
            let settings = WebSettings(publicURL: "http://gate.test", retentionSeconds: 60, adminEnabled: false, provider: provider)
            WebController<BasicRequestContext>(pages: WebPages(catalog: try ModelCatalog.bundled(), settings: settings)).addRoutes(to: router)
            try await Application(router: router).test(.router) { client in
                for path in ["/models/bytedance/seedream-5-lite", "/playground"] {
                    let page = Self.text(try await client.execute(uri: path, method: .get))
                    #expect(page.contains("built-in <code>local</code> engine") == shown, "\(provider) \(path)")
                }
            }
        }
    }

    @Test func anUnknownModelIsAnHTMLNotFoundThatEscapesThePath() async throws {
        try await Self.app(try ModelCatalog.bundled()).test(.router) { client in
            let response = try await client.execute(uri: "/models/bytedance/%3Cscript%3E", method: .get)
            #expect(response.status == .notFound)
            #expect(Self.text(response).contains("bytedance/&lt;script&gt;"))
            #expect(!Self.text(response).contains("<script>"))
        }
    }

    @Test func everyPageCarriesAPolicyThatRunsOnlyTheBinarysOwnScripts() async throws {
        try await Self.app(try ModelCatalog.bundled(), admin: true).test(.router) { client in
            for path in ["/models", "/models/bytedance/seedream-5-lite", "/playground", "/account", "/admin"] {
                let response = try await client.execute(uri: path, method: .get)
                #expect(response.status == .ok, "\(path)")
                let policy = response.headers[.contentSecurityPolicy] ?? ""
                #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"), "\(path)")
                #expect(policy.contains("frame-ancestors 'none'"), "\(path)")
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer", "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8", "\(path)")
                #expect(!Self.text(response).contains("<script>"), "no inline script in \(path)")
            }
        }
    }

    @Test func imagesMayComeFromTheStoreThatOutputLinksRedirectTo() async throws {
        let router = Router()
        let settings = WebSettings(
            publicURL: "http://gate.test:8080",
            retentionSeconds: 60,
            adminEnabled: false,
            imageOrigins: ["https://bucket.s3.example.com:9000/origin?X-Amz-Signature=abc"]
        )
        WebController<BasicRequestContext>(pages: WebPages(catalog: try ModelCatalog.bundled(), settings: settings)).addRoutes(to: router)
        try await Application(router: router).test(.router) { client in
            let policy = try await client.execute(uri: "/playground", method: .get).headers[.contentSecurityPolicy] ?? ""
            #expect(policy.contains("img-src 'self' data: blob: http://gate.test:8080 https://bucket.s3.example.com:9000;"), "\(policy)")
        }
    }

    @Test func theAdminPageExistsOnlyWithAnAdminToken() async throws {
        try await Self.app(try ModelCatalog.bundled(), admin: false).test(.router) { client in
            let admin = try await client.execute(uri: "/admin", method: .get)
            #expect(admin.status == .notFound)
            let models = try await client.execute(uri: "/models", method: .get)
            #expect(!Self.text(models).contains("href=\"/admin\""))
        }
    }

    @Test func assetsAreServedUnderHashedNamesWithAStrongETagAndAYearOfCache() async throws {
        let assets = WebAssets()
        let playground = assets.path("playground.js")
        #expect(playground.range(of: #"^/assets/playground\.[0-9a-f]{12}\.js$"#, options: .regularExpression) != nil)
        try await Self.app(try ModelCatalog.bundled()).test(.router) { client in
            let response = try await client.execute(uri: playground, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(response.headers[.contentType] == "text/javascript; charset=utf-8")
            // Its imports name the hashed siblings, so a changed common.js renames this file too.
            let common = assets.path("common.js").dropFirst("/assets/".count)
            #expect(Self.text(response).contains("from \"./\(common)\""))
            let etag = try #require(response.headers[.eTag])
            let again = try await client.execute(uri: playground, method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified)
            let unhashed = try await client.execute(uri: "/assets/playground.js", method: .get)
            #expect(unhashed.status == .notFound)
        }
    }

    @Test func theCatalogueAndTheModelPageWeighUnderFiftyKilobytesBeforeImages() async throws {
        try await Self.app(try ModelCatalog.bundled()).test(.router) { client in
            for path in ["/models", "/models/bytedance/seedream-5-lite"] {
                let html = Self.text(try await client.execute(uri: path, method: .get))
                var total = html.utf8.count
                // Every stylesheet and script the page names.
                let pattern = try Regex(#"(?:href|src)="(/assets/[^"]+)""#)
                for match in html.matches(of: pattern) {
                    let asset = try await client.execute(uri: String(html[match.range].split(separator: "\"")[1]), method: .get)
                    total += asset.body.readableBytes
                    // A module's own imports are loaded too.
                    for imported in Self.text(asset).matches(of: try Regex(#"from "\./([^"]+)""#)) {
                        let name = Self.text(asset)[imported.range].split(separator: "/").last!.dropLast()
                        total += try await client.execute(uri: "/assets/\(name)", method: .get).body.readableBytes
                    }
                }
                #expect(total < 50_000, "\(path) weighs \(total) bytes")
            }
        }
    }

    @Test func catalogTextIsEscapedEverywhere() async throws {
        var models = try TestCatalogs.bundledModels()
        models[0]["description"] = "<img src=x onerror=alert(1)>"
        models[0]["display_name"] = "Seed<b>ream"
        try await Self.app(try TestCatalogs.catalog(models)).test(.router) { client in
            for path in ["/models", "/models/bytedance/seedream-5-lite", "/playground"] {
                let page = Self.text(try await client.execute(uri: path, method: .get))
                #expect(!page.contains("<img src=x"), "\(path)")
                #expect(!page.contains("Seed<b>ream"), "\(path)")
            }
        }
    }
}
