import Catalog
import Providers
import Testing

@testable import Generation

/// A model's last day, read from the books: completed and failed generations count, the median is the completed
/// ones' middle time, and the figures are kept a minute.
@Suite struct ModelHealthTests {
    typealias Harness = SettlementTests.Harness

    @Test func theFiguresComeFromTheGenerationsThatEnded() async throws {
        let provider = ScriptedProvider([.deliver(1), .deliver(1), .fail(ProviderError(code: .upstreamFailed, message: "boom"))])
        try await Harness.with(provider: provider) { harness in
            for _ in 0..<3 { _ = try await harness.run(numImages: 1) }
            let health = try await harness.service.modelHealth(model: "seedream-5-lite")
            #expect(health.ended == 3 && health.completed == 2)
            #expect(health.successShare.map { ($0 * 1000).rounded() } == 667)
            #expect((health.medianMillis ?? -1) >= 0)
            let other = try await harness.service.modelHealth(model: "seedream-4.5")
            #expect(other == ModelHealth(ended: 0, completed: 0, medianMillis: nil))
        }
    }
}
