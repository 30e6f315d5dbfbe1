import Testing

@testable import Storage

/// Ids sort by creation time and tell when they were made (the janitor's grace period reads it).
@Suite struct IdentifierTests {
    @Test func anIdCarriesItsCreationTime() {
        let id = Identifier.make("gen", millis: 1_796_304_576_123)
        #expect(id.hasPrefix("gen_") && id.count == 4 + 12 + 16)
        #expect(Identifier.millis(of: id) == 1_796_304_576_123)
        #expect(Identifier.millis(of: "gen_zz") == nil && Identifier.millis(of: "nounderscore") == nil)
    }

    @Test func idsSortByCreationTime() {
        let earlier = Identifier.make("gen", millis: 1_000)
        let later = Identifier.make("gen", millis: 2_000)
        #expect(earlier < later)
    }
}
