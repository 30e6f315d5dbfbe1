import Foundation
import Testing

@testable import Catalog

@Suite struct CatalogTests {
    @Test func bundledCatalogHasSeedream() throws {
        let catalog = try ModelCatalog.bundled()
        let model = try #require(catalog.model("seedream-5-lite"))
        #expect(catalog.models.allSatisfy { ($0.examplePrompts ?? []).count >= 2 }, "every model offers prompts to try")
        #expect(model.pricePerImageMicros == 14_000)
        #expect(model.routes.map(\.provider) == [.fal, .ark])
        #expect(model.falRoute?.generateEndpoint == "fal-ai/bytedance/seedream/v5/lite/text-to-image")
        #expect(model.routes[1].model == "seedream-5-0-260128")
    }

    /// Seedream 4.5 and 4.0 as the reference gives them (upstreams.md §2.6, §3.1, §4, §7.1).
    @Test func theOtherSeedreamsHaveTheirTiersIdsAndLimits() throws {
        let catalog = try ModelCatalog.bundled()
        let v45 = try #require(catalog.model("seedream-4.5"))
        #expect(v45.parameters.size.values == ["2K", "4K"])
        #expect(v45.pixelSize(tier: "4K", aspectRatio: "16:9") == PixelSize(width: 5504, height: 3040))
        #expect(v45.routes.map(\.provider) == [.fal, .ark] && v45.routes[1].model == "seedream-4-5-251128")
        #expect(v45.falRoute?.generateEndpoint == "fal-ai/bytedance/seedream/v4.5/text-to-image")
        #expect(v45.falRoute?.abilities?.honoursSeed == true, "fal's v4.5 takes a seed")
        let v40 = try #require(catalog.model("seedream-4"))
        #expect(v40.parameters.size.values == ["1K", "2K", "4K"])
        #expect(v40.pixelSize(tier: "1K", aspectRatio: "16:9") == PixelSize(width: 1312, height: 736))
        #expect(v40.routes[1].model == "seedream-4-0-250828" && v40.routes[1].abilities?.minPixels == 921_600)
        for model in catalog.models {
            #expect(model.routes.first { $0.provider == .ark }?.abilities?.maxTotalImages == 15, "Ark caps references + outputs at 15")
        }
    }

    @Test func aRouteCostIsOnePriceOrAPricePerSize() throws {
        let flat = try JSONDecoder().decode(RouteCost.self, from: Data("35000".utf8))
        #expect(flat.perImage(size: "3K") == 35_000)
        let sized = try JSONDecoder().decode(RouteCost.self, from: Data(#"{"2K": 28000, "3K": 42000}"#.utf8))
        #expect(sized.perImage(size: "2K") == 28_000 && sized.perImage(size: "3K") == 42_000)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RouteCost.self, from: Data(#""cheap""#.utf8)) }
    }

    @Test func aRouteRefusesOnlyWhatItsAbilitiesExclude() {
        let route = ModelRoute(provider: .ark, model: "m", cost: .flat(1), abilities: RouteAbilities(sizes: ["2K"], maxReferences: 2))
        #expect(route.refusal(size: "2K", references: 2, images: 6) == nil)
        #expect(route.refusal(size: "3K", references: 0, images: 1)?.parameter == "size")
        #expect(route.refusal(size: "2K", references: 3, images: 1)?.parameter == "image_urls")
        #expect(ModelRoute(provider: .fal, cost: .flat(1)).refusal(size: "9K", references: 99, images: 99) == nil)
        let ark = ModelRoute(provider: .ark, model: "m", cost: .flat(1), abilities: RouteAbilities(maxTotalImages: 15))
        #expect(ark.refusal(size: "2K", references: 10, images: 5) == nil)
        #expect(ark.refusal(size: "2K", references: 10, images: 6)?.parameter == "num_images")
    }

    @Test func aRouteKeyComesFromItsVariableOrTheProvidersAndItsAddressMayBeOverridden() {
        let named = ModelRoute(
            provider: .ark,
            model: "m",
            cost: .flat(1),
            baseURL: "https://a.example/api/v3",
            baseURLEnv: "ARK_BASE",
            apiKeyEnv: "MY_ARK"
        )
        #expect(named.keyVariable == "MY_ARK")
        #expect(named.resolvedBaseURL(environment: [:]) == "https://a.example/api/v3")
        #expect(named.resolvedBaseURL(environment: ["ARK_BASE": "http://127.0.0.1:9"]) == "http://127.0.0.1:9")
        let plain = ModelRoute(provider: .ark, model: "m", cost: .flat(1))
        #expect(plain.keyVariable == "ARK_API_KEY")
        #expect(plain.resolvedBaseURL(environment: [:]) == "https://ark.ap-southeast.bytepluses.com/api/v3")
        #expect(ModelRoute(provider: .local, cost: .flat(0)).keyVariable == nil)
        let replicate = ModelRoute(provider: .replicate, model: "bytedance/seedream-5-lite", cost: .flat(1))
        #expect(replicate.keyVariable == "REPLICATE_API_TOKEN" && replicate.resolvedBaseURL(environment: [:]) == "https://api.replicate.com")
        #expect(ModelCatalog.isReplicateModel("bytedance/seedream-4.5") && !ModelCatalog.isReplicateModel("bytedance/seedream/x"))
    }

    /// Each mistake is refused with the field that holds it and why.
    @Test(arguments: [
        (#"models[0].routes = []"#, "models[0].routes", "must list at least one route"),
        (#"models[0].routes[1].model = null"#, "models[0].routes[1].model", "needs the upstream's model id"),
        (#"models[0].routes[0].edit_endpoint = null"#, "models[0].routes[0].edit_endpoint", "needs one"),
        (#"models[0].routes[1].api_key_env = "sk-live-123""#, "models[0].routes[1].api_key_env", "never hold a key"),
        (#"models[0].routes[1].base_url = "ftp://x""#, "models[0].routes[1].base_url", "http(s) URL"),
        (#"models[0].routes[1].cost_per_image_micros = {"2K": 1}"#, "models[0].routes[1].cost_per_image_micros", "no price for size 3K"),
        (#"models[0].routes[1].cost_per_image_micros = -1"#, "models[0].routes[1].cost_per_image_micros", "negative"),
        (#"models[0].routes[1].abilities.sizes = ["8K"]"#, "models[0].routes[1].abilities.sizes", "not a size of the model"),
        (#"models[0].routes[1].timeout_s = 0"#, "models[0].routes[1].timeout_s", "positive"),
        (#"models[0].routes[1].queue_timeout_s = 5"#, "models[0].routes[1].queue_timeout_s", "only queue routes"),
        (#"models[0].routes[0].deadline_s = 0"#, "models[0].routes[0].deadline_s", "positive"),
        (#"models[0].routes[1].max_concurrency = 0"#, "models[0].routes[1].max_concurrency", "positive"),
        (#"models[0].parameters.size.default = "4K""#, "models[0].parameters.size.default", "not one of its values"),
        (#"models[1] = models[0]"#, "models[1].id", "listed twice"),
        (#"models[0].example_prompts = ["ok", ""]"#, "models[0].example_prompts[1]", "as a prompt"),
        (
            #"models[0].routes[1] = {"provider": "replicate", "model": "bytedance/seedream-5-lite?x=1", "cost_per_image_micros": 1}"#,
            "models[0].routes[1].model", "owner/name"
        ),
        (
            #"models[0].routes[1] = {"provider": "replicate", "model": "bytedance/../v1/account", "cost_per_image_micros": 1}"#,
            "models[0].routes[1].model", "owner/name"
        ),
    ])
    func aCatalogThatCannotBeServedIsRefusedWithFieldAndReason(change: String, field: String, reason: String) throws {
        let data = try Self.edited(change)
        #expect {
            _ = try ModelCatalog.decode(data)
        } throws: { error in
            guard let error = error as? CatalogError else { return false }
            return error.field == field && error.reason.contains(reason)
        }
    }

    @Test func anUnknownProviderIsADecodingErrorAtItsPlace() throws {
        let data = try Self.edited(#"models[0].routes[1].provider = "acme""#)
        #expect {
            _ = try ModelCatalog.decode(data)
        } throws: { error in
            guard case .dataCorrupted(let context) = error as? DecodingError else { return false }
            return context.codingPath.map(\.stringValue).suffix(2) == ["Index 1", "provider"]
        }
    }

    /// The bundled catalog with one change applied, written as `path = JSON` (`models[1] = models[0]` copies).
    static func edited(_ change: String) throws -> Data {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(PackageResources.catalog_json)) as? [String: Any])
        let parts = change.components(separatedBy: " = ")
        let path = Self.path(parts[0])
        let value: Any =
            parts[1].hasPrefix("models[")
            ? Self.get(root, Self.path(parts[1]))! : try JSONSerialization.jsonObject(with: Data(parts[1].utf8), options: .fragmentsAllowed)
        root = Self.set(root, path, value) as! [String: Any]
        return try JSONSerialization.data(withJSONObject: root)
    }

    static func path(_ text: String) -> [Any] {
        text.split(separator: ".").flatMap { part -> [Any] in
            let pieces = part.split(separator: "[")
            return [String(pieces[0])] + pieces.dropFirst().map { Int($0.dropLast())! as Any }
        }
    }

    static func get(_ node: Any, _ path: [Any]) -> Any? {
        guard let head = path.first else { return node }
        if let key = head as? String, let object = node as? [String: Any] { return object[key].flatMap { get($0, Array(path.dropFirst())) } }
        if let index = head as? Int, let array = node as? [Any], array.indices.contains(index) { return get(array[index], Array(path.dropFirst())) }
        return nil
    }

    static func set(_ node: Any, _ path: [Any], _ value: Any) -> Any {
        guard let head = path.first else { return value }
        let rest = Array(path.dropFirst())
        if let key = head as? String, var object = node as? [String: Any] {
            object[key] = value is NSNull && rest.isEmpty ? nil : set(object[key] ?? [String: Any](), rest, value)
            return object
        }
        if let index = head as? Int, var array = node as? [Any] {
            if index == array.count { array.append(set([String: Any](), rest, value)) } else { array[index] = set(array[index], rest, value) }
            return array
        }
        return node
    }
}
