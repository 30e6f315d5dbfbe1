import Foundation
import HummingbirdTesting
import ImageGateTestSupport
import Testing

/// The shipped catalog's three models, through the API: listed, each with its own sizes, prices and pixel table.
@Suite struct CatalogModelsTests {
    @Test func theThreeModelsAreListedWithTheirOwnSizes() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let listed = try await client.get("/v1/models")
            let models = try #require(try listed.json()["data"] as? [[String: Any]])
            #expect(models.map { $0["id"] as? String } == ["seedream-5-lite", "seedream-4.5", "seedream-4"])
            let sizes = models.map { (($0["parameters"] as? [String: Any])?["size"] as? [String: Any])?["values"] as? [String] }
            #expect(sizes == [["2K", "3K"], ["2K", "4K"], ["1K", "2K", "4K"]])
            #expect(models.map { $0["price_per_image_usd"] as? Double } == [0.014, 0.04, 0.03])
            #expect(models.allSatisfy { $0["routes"] == nil }, "what a route costs is the operator's, never shown")
        }
    }

    /// Each model renders its own table's pixel size; a size another model has is refused, naming `size`.
    @Test(arguments: [
        ("seedream-4.5", "4K", "16:9", 5504, 3040, 40_000),
        ("seedream-4", "1K", "16:9", 1312, 736, 30_000),
        ("seedream-4", "4K", "1:1", 4096, 4096, 30_000),
    ])
    func eachModelRendersItsOwnTable(model: String, size: String, ratio: String, width: Int, height: Int, price: Int64) async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let made = try await client.generate(try body(set: ["model": model, "size": size, "aspect_ratio": ratio]), key: instance.apiKey)
            #expect(made.status == .ok, "\(made.text)")
            let image = try #require((try made.json()["images"] as? [[String: Any]])?.first)
            #expect(image["width"] as? Int == width && image["height"] as? Int == height)
            let refused = try await client.generate(try body(set: ["model": model, "size": "3K"]), key: instance.apiKey)
            let param = try refused.json()["param"] as? String
            #expect(refused.status == .badRequest && param == "size", "\(refused.text)")
        }
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 - price && balance.held == 0)
    }
}
