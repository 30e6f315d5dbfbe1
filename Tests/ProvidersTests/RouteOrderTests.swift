import Catalog
import Foundation
import Imaging
import Testing

@testable import Providers

/// The order in which a generation tries its model's routes, by the model's strategy.
@Suite struct RouteOrderTests {
    /// The bundled Seedream 5 Lite with `strategy`.
    static func model(strategy: RouteStrategy) throws -> ModelSpec {
        let bundled = try #require(try ModelCatalog.bundled().model("seedream-5-lite"))
        var object = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(bundled)) as? [String: Any])
        object["strategy"] = strategy.rawValue
        return try JSONDecoder().decode(ModelSpec.self, from: try JSONSerialization.data(withJSONObject: object))
    }

    static func request(_ model: ModelSpec, size: String = "2K") -> ProviderRequest {
        ProviderRequest(
            generationID: "gen_1",
            model: model,
            mode: .generate,
            prompt: "x",
            aspectRatio: "1:1",
            resolvedAspectRatio: "1:1",
            sizeTier: size,
            pixelSize: PixelSize(width: 2048, height: 2048),
            numImages: 1,
            seed: 0,
            outputFormat: .png,
            references: [],
            startedAtMillis: 0
        )
    }

    static func routes(_ costs: [(String, RouteCost, Int?)]) -> [RoutedProvider.Assignment] {
        costs.map { name, cost, weight in
            .init(route: ModelRoute(id: name, provider: .local, cost: cost, weight: weight), provider: LocalProvider())
        }
    }

    @Test func priorityKeepsTheCatalogsOrder() throws {
        let model = try Self.model(strategy: .priority)
        let routes = Self.routes([("a", .flat(35_000), nil), ("b", .flat(28_000), nil)])
        let provider = RoutedProvider(routes: [model.id: routes])
        #expect(provider.ordered(routes, for: Self.request(model)).map(\.name) == ["a", "b"])
    }

    @Test func cheapestOrdersByThePriceOfThisRequestsSizeAndKeepsTheCatalogsOrderOnTies() throws {
        let model = try Self.model(strategy: .cheapest)
        let routes = Self.routes([
            ("a", .flat(35_000), nil), ("b", .perSize(["2K": 28_000, "3K": 42_000]), nil), ("c", .flat(28_000), nil), ("d", .flat(32_000), nil),
        ])
        let provider = RoutedProvider(routes: [model.id: routes])
        #expect(provider.ordered(routes, for: Self.request(model, size: "2K")).map(\.name) == ["b", "c", "d", "a"])
        #expect(provider.ordered(routes, for: Self.request(model, size: "3K")).map(\.name) == ["c", "d", "a", "b"])
    }

    @Test func weightedPutsTheDrawnRouteFirstInProportionToItsWeight() throws {
        let model = try Self.model(strategy: .weighted)
        let routes = Self.routes([("a", .flat(1), 3), ("b", .flat(1), 1), ("c", .flat(1), 0)])
        // Draws 0, 1, 2 fall in a's share (3), draw 3 in b's; c (weight 0) is never drawn, only tried last.
        for (draw, first) in [(0, "a"), (2, "a"), (3, "b")] {
            let provider = RoutedProvider(
                routes: [model.id: routes],
                draw: { bound in
                    #expect(bound == 4)
                    return draw
                }
            )
            let order = provider.ordered(routes, for: Self.request(model)).map(\.name)
            #expect(order.first == first && Set(order) == ["a", "b", "c"] && order.last == "c")
        }
    }
}
