import Benchmark
import Blobs
import Essentials
import Foundation
import Storage
import Synchronization

@testable import GatewayAPI
@testable import Generation

/// The hot path's steps, one benchmark each, measured by package-benchmark in allocations (its malloc interposer).
/// `scripts/microbench` compares them with the baseline committed under `Benchmarks/` and fails on a rise of more than
/// 10 %. Time is not measured here: it depends on the machine (bench/ measures it). Instructions are not either: the
/// hardware counter is not readable on CI's virtual machines (docs/benchmarks.md, "The CI guard").
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(600),
        maxIterations: 200,
        thresholds: [.mallocCountTotal: BenchmarkThresholds(relative: [.p50: 10.0, .p90: 10.0])]
    )

    // The validator on the quickstart body: JSON parse, every parameter checked against the catalogue.
    onFixture("validate a generate request") { benchmark in
        let validator = try fixtures.get().service.validator
        for _ in benchmark.scaledIterations {
            blackHole(try validator.validate(body: HotPathFixture.quickstartBody))
        }
    }

    // The hold: validation, then one transaction that holds the price and inserts the queued generation.
    onFixture("hold transaction") { benchmark in
        let fixture = try fixtures.get()
        for _ in benchmark.scaledIterations {
            blackHole(try await fixture.submit())
        }
    }

    // The settlement of a delivered image: the generation's end, its output row, the charge and its ledger row, in
    // one transaction. The hold and the claim before it are not measured.
    onFixture("settle transaction") { benchmark in
        let fixture = try fixtures.get()
        for _ in benchmark.scaledIterations {
            let owner = Identifier.make("run")
            let claimed = try await fixture.claim(try await fixture.submit(), owner: owner)
            let delivered = [HotPathFixture.delivered(for: claimed)]
            benchmark.startMeasurement()
            blackHole(try await fixture.settle(claimed, delivered: delivered, owner: owner))
            benchmark.stopMeasurement()
        }
    }

    // The response of a completed generation, as `GET /v1/generations/{id}` writes it: two signed links per image.
    onFixture("encode a generation response", completingOne: true) { benchmark in
        let record = try fixtures.get().completedRecord
        let links = OutputLinks(signer: OutputLinkSigner(secretHex: String(repeating: "ab", count: 32)), baseURL: "https://imagegate.example")
        for _ in benchmark.scaledIterations {
            blackHole(try OrderedJSONEncoder().encode(GenerationResponse(record, links: links)))
        }
    }

    // One output link: HMAC-SHA256 of the id and expiry, hex, the URL.
    Benchmark("sign an output link") { benchmark in
        let signer = OutputLinkSigner(secretHex: String(repeating: "ab", count: 32))
        let outputID = Identifier.make("out")
        for _ in benchmark.scaledIterations {
            blackHole(signer.url(base: "https://imagegate.example", outputID: outputID, fileExtension: "png", expires: 1_800_000_000))
        }
    }
}

/// Registers a benchmark that runs on its own fixture, opened in its setup (with one completed generation when
/// `completingOne`) and closed in its teardown.
func onFixture(
    _ name: String,
    completingOne: Bool = false,
    _ body: @escaping @Sendable (Benchmark) async throws -> Void
) {
    Benchmark(name, closure: body, setup: { try await fixtures.open(completingOne: completingOne) }, teardown: { await fixtures.close() })
}

/// The fixture the running benchmark shares with its setup and teardown (package-benchmark's hooks return nothing).
let fixtures = FixtureSlot()

/// Holds the open fixture between a benchmark's setup and teardown.
final class FixtureSlot: Sendable {
    private let slot = Mutex<HotPathFixture?>(nil)

    /// Opens a fixture; with `completingOne`, one generation is held, claimed and settled first, for the benchmarks
    /// that read a completed generation.
    func open(completingOne: Bool = false) async throws {
        var fixture = try await HotPathFixture.make()
        if completingOne { try await fixture.completeOne() }
        self.slot.withLock { [fixture] in $0 = fixture }
    }

    func get() throws -> HotPathFixture {
        guard let fixture = self.slot.withLock({ $0 }) else { throw FixtureError(message: "no fixture is open") }
        return fixture
    }

    func close() async {
        let fixture = self.slot.withLock { value in
            defer { value = nil }
            return value
        }
        await fixture?.close()
    }
}
