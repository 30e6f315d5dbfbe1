import Testing

@testable import Catalog

@Suite struct CatalogTests {
    @Test func bundledCatalogHasSeedream() throws {
        let catalog = try ModelCatalog.bundled()
        let model = try #require(catalog.model("seedream-5-lite"))
        #expect(model.pricePerImageMicros == 14_000)
    }
}
