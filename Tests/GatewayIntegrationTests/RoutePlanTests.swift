import Catalog
import Foundation
import ImageGateApp
import ImageGateTestSupport
import Testing

/// At start each model may run on its routes with a key, in the catalog's order; the skipped ones are said, and a
/// model with none runs on the labelled local stand-in; `--provider local` and `--provider fal` keep their meaning.
@Suite struct RoutePlanTests {
    static func config(_ settings: [String: String] = [:], environment: [String: String] = [:]) throws -> AppConfiguration {
        var config = try AppConfiguration(SettingsReader.inMemory(["data-dir": "/nonexistent"].merging(settings) { $1 }))
        config.environment = environment
        return config
    }

    @Test func withoutKeysEveryModelRunsOnTheLocalStandInAndTheSkippedRoutesAreSaid() throws {
        let catalog = try ModelCatalog.bundled()
        let plan = try RoutePlan.make(try Self.config(), catalog: catalog)
        #expect(plan.choices.values.allSatisfy { $0.count == 1 && $0[0].route == nil })
        #expect(!plan.usesUpstream)
        #expect(plan.skipped.contains { $0.contains("seedream-5-lite route 1 (fal)") && $0.contains("FAL_KEY") })
        #expect(plan.skipped.contains { $0.contains("seedream-5-lite: no usable route") })
    }

    @Test func aFalKeyPutsTheModelOnItsFalRouteAtTheConfiguredQueue() throws {
        let plan = try RoutePlan.make(
            try Self.config(["fal-queue-url": "http://127.0.0.1:9"], environment: ["FAL_KEY": "k"]),
            catalog: try ModelCatalog.bundled()
        )
        let choices = try #require(plan.choices["seedream-5-lite"])
        #expect(choices.count == 1, "Ark has no key")
        #expect(choices[0].route?.provider == .fal && choices[0].key == "k" && choices[0].baseURL == "http://127.0.0.1:9")
        #expect(plan.usesUpstream)
    }

    @Test func everyKeyedRouteIsUsableInTheCatalogsOrderAndRoutesSoldBelowCostAreSaid() throws {
        let plan = try RoutePlan.make(
            try Self.config(environment: ["FAL_KEY": "f", "ARK_API_KEY": "a"]),
            catalog: try ModelCatalog.bundled()
        )
        let choices = try #require(plan.choices["seedream-5-lite"])
        #expect(choices.map { $0.route?.provider } == [.fal, .ark])
        #expect(choices.map(\.key) == ["f", "a"])
        // Both bill $0.035 for an image sold at $0.014, and neither is marked a promotion.
        #expect(plan.belowCost.contains { $0.hasPrefix("seedream-5-lite route fal bills up to $0.035") })
        #expect(plan.belowCost.contains { $0.hasPrefix("seedream-5-lite route ark bills up to $0.035") })
    }

    @Test func aRoutePromotedOnPurposeIsNotSaidToSellBelowCost() throws {
        let catalog = try Self.catalog(routes: [#"{"provider": "local", "cost_per_image_micros": 50000, "promotion": true}"#])
        #expect(try RoutePlan.make(try Self.config(), catalog: catalog).belowCost.isEmpty)
        let unmarked = try Self.catalog(routes: [#"{"provider": "local", "cost_per_image_micros": 50000}"#])
        #expect(try RoutePlan.make(try Self.config(), catalog: unmarked).belowCost.count == 1)
    }

    @Test func aRouteReadsItsKeyFromTheVariableItNames() throws {
        let catalog = try Self.catalog(routes: [
            #"{"provider": "fal", "generate_endpoint": "a/b", "edit_endpoint": "a/b/edit", "api_key_env": "OTHER_FAL", "cost_per_image_micros": 1}"#,
            #"{"provider": "local", "cost_per_image_micros": 0}"#,
        ])
        let unkeyed = try RoutePlan.make(try Self.config(environment: ["FAL_KEY": "not-this-one"]), catalog: catalog)
        #expect(unkeyed.choices["seedream-5-lite"]?.map { $0.route?.provider } == [.local])
        #expect(unkeyed.skipped.contains { $0.contains("OTHER_FAL") })
        let keyed = try RoutePlan.make(try Self.config(environment: ["OTHER_FAL": "mine"]), catalog: catalog)
        #expect(keyed.choices["seedream-5-lite"]?.map(\.key) == ["mine", nil], "then its local route")
    }

    @Test func providerLocalForcesTheStandInWhateverKeysThereAre() throws {
        let plan = try RoutePlan.make(
            try Self.config(["provider": "local"], environment: ["FAL_KEY": "k", "ARK_API_KEY": "k"]),
            catalog: try ModelCatalog.bundled()
        )
        #expect(plan.choices.values.allSatisfy { $0.count == 1 && $0[0].route == nil })
    }

    @Test func providerFalNeedsItsKeyAndRunsEveryModelOnFal() throws {
        #expect(throws: ConfigurationError.self) { try RoutePlan.make(try Self.config(["provider": "fal"]), catalog: try ModelCatalog.bundled()) }
        let plan = try RoutePlan.make(try Self.config(["provider": "fal", "fal-key": "k"]), catalog: try ModelCatalog.bundled())
        #expect(plan.choices.values.allSatisfy { $0.count == 1 && $0[0].route?.provider == .fal && $0[0].key == "k" })
    }

    @Test func aReplicateRouteRunsWithItsTokenAtReplicatesAddress() throws {
        let catalog = try Self.catalog(routes: [
            #"{"provider": "ark", "model": "seedream-5-0-260128", "cost_per_image_micros": 35000}"#,
            #"{"provider": "replicate", "model": "bytedance/seedream-5-lite", "cost_per_image_micros": 35000}"#,
        ])
        let plan = try RoutePlan.make(try Self.config(environment: ["REPLICATE_API_TOKEN": "r8_k"]), catalog: catalog)
        let choices = try #require(plan.choices["seedream-5-lite"])
        let choice = try #require(choices.first)
        #expect(choices.count == 1)
        #expect(choice.route?.provider == .replicate && choice.key == "r8_k" && choice.baseURL == "https://api.replicate.com")
        #expect(plan.skipped.contains { $0.contains("route 1 (ark)") && $0.contains("ARK_API_KEY") })
    }

    /// The bundled catalog's first model with other routes.
    static func catalog(routes: [String]) throws -> ModelCatalog {
        var root = try #require(try JSONSerialization.jsonObject(with: Data(try Self.bundledText().utf8)) as? [String: Any])
        var models = try #require(root["models"] as? [[String: Any]])
        models[0]["routes"] = try routes.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) }
        root["models"] = [models[0]]
        return try ModelCatalog.decode(try JSONSerialization.data(withJSONObject: root))
    }

    static func bundledText() throws -> String {
        let catalog = try ModelCatalog.bundled()
        return String(decoding: try JSONEncoder().encode(["models": catalog.models]), as: UTF8.self)
    }
}

/// A request the model's contract accepts but its route cannot serve is a 400 naming the parameter, before money.
@Suite struct RouteAbilitiesTests {
    @Test func aSizeTheRouteLacksIsRefusedBeforeAnyCharge() async throws {
        let catalog = try RoutePlanTests.catalog(routes: [
            #"{"provider": "local", "cost_per_image_micros": 0, "abilities": {"sizes": ["2K"], "max_references": 1}}"#
        ])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString).json").path
        try JSONEncoder().encode(["models": catalog.models]).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let instance = try await TestInstance.make(settings: ["catalog": path])
        defer { instance.cleanUp() }
        try await instance.run { client in
            let refused = try await client.generate(try body(set: ["size": "3K"]), key: instance.apiKey)
            #expect(refused.status == .badRequest, "\(refused.text)")
            let json = try refused.json()
            #expect(json["param"] as? String == "size" && (json["message"] as? String)?.contains("current supplier") == true)
            let served = try await client.generate(try body(set: ["size": "2K"]), key: instance.apiKey)
            #expect(served.status == .ok, "\(served.text)")
            #expect(try served.json()["provider"] as? String == "local")
        }
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 - 14_000 && balance.held == 0)
    }
}
