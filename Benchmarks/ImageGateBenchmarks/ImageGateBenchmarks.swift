import Benchmark
import Blobs
import Essentials
import Foundation
import Storage
import Synchronization

@testable import GatewayAPI
@testable import Generation

/// The hot path's steps, one benchmark each, measured by package-benchmark in allocations (the malloc interposer)
/// and, by `scripts/microbench`, in instructions (callgrind: the hardware counter is not readable on CI's virtual
/// machines). `scripts/microbench` compares both with the baselines committed under `Benchmarks/` and fails on a rise
/// of more than 10 %. Time is not measured here: it depends on the machine (bench/ measures it).
///
/// `IMAGEGATE_BENCH_ITERATIONS` fixes how many times each body runs (what the instruction count divides by).
let benchmarks: @Sendable () -> Void = {
    let iterations = ProcessInfo.processInfo.environment["IMAGEGATE_BENCH_ITERATIONS"].flatMap(Int.init) ?? 200
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal],
        warmupIterations: 3,
        maxDuration: .seconds(600),
        maxIterations: iterations,
        thresholds: [.mallocCountTotal: BenchmarkThresholds(relative: [.p50: 10.0, .p90: 10.0])]
    )

    // The validator on the quickstart body: JSON parse, every parameter checked against the catalogue.
    Benchmark("validate a generate request") { benchmark in
        let validator = try fixtures.get().service.validator
        for _ in benchmark.scaledIterations {
            blackHole(try validator.validate(body: HotPathFixture.quickstartBody))
        }
    } setup: {
        try await fixtures.open()
    } teardown: {
        await fixtures.close()
    }

    // The hold: validation, then one transaction that holds the price and inserts the queued generation.
    Benchmark("hold transaction") { benchmark in
        let fixture = try fixtures.get()
        for _ in benchmark.scaledIterations {
            blackHole(try await fixture.submit())
        }
    } setup: {
        try await fixtures.open()
    } teardown: {
        await fixtures.close()
    }

    // The settlement of a delivered image: the generation's end, its output row, the charge and its ledger row, in
    // one transaction. The hold and the claim before it are not measured.
    Benchmark("settle transaction") { benchmark in
        let fixture = try fixtures.get()
        for _ in benchmark.scaledIterations {
            let owner = Identifier.make("run")
            let claimed = try await fixture.claim(try await fixture.submit(), owner: owner)
            let delivered = [HotPathFixture.delivered(for: claimed)]
            benchmark.startMeasurement()
            blackHole(try await fixture.settle(claimed, delivered: delivered, owner: owner))
            benchmark.stopMeasurement()
        }
    } setup: {
        try await fixtures.open()
    } teardown: {
        await fixtures.close()
    }

    // The response of a completed generation, as `GET /v1/generations/{id}` writes it: two signed links per image.
    Benchmark("encode a generation response") { benchmark in
        let record = try fixtures.get().completedRecord
        let links = OutputLinks(signer: OutputLinkSigner(secretHex: String(repeating: "ab", count: 32)), baseURL: "https://imagegate.example")
        for _ in benchmark.scaledIterations {
            blackHole(try OrderedJSONEncoder().encode(GenerationResponse(record, links: links)))
        }
    } setup: {
        try await fixtures.open(completing: true)
    } teardown: {
        await fixtures.close()
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

/// The fixture the running benchmark shares with its setup and teardown (package-benchmark's hooks return nothing).
let fixtures = FixtureSlot()

/// Holds the open fixture between a benchmark's setup and teardown.
final class FixtureSlot: Sendable {
    private let slot = Mutex<(fixture: HotPathFixture, completed: GenerationRecord?)?>(nil)

    func open(completing: Bool = false) async throws {
        let fixture = try await HotPathFixture.make()
        var completed: GenerationRecord?
        if completing {
            let owner = Identifier.make("run")
            let claimed = try await fixture.claim(try await fixture.submit(), owner: owner)
            completed = try await fixture.settle(claimed, delivered: [HotPathFixture.delivered(for: claimed)], owner: owner)
        }
        self.slot.withLock { $0 = (fixture, completed) }
    }

    func get() throws -> OpenFixture {
        guard let open = self.slot.withLock({ $0 }) else { throw FixtureError(message: "no fixture is open") }
        return OpenFixture(fixture: open.fixture, completed: open.completed)
    }

    func close() async {
        let open = self.slot.withLock { value in
            defer { value = nil }
            return value
        }
        await open?.fixture.close()
    }
}

/// The open fixture, and the completed generation some benchmarks read.
@dynamicMemberLookup
struct OpenFixture: Sendable {
    let fixture: HotPathFixture
    let completed: GenerationRecord?

    var completedRecord: GenerationRecord {
        get throws {
            guard let completed else { throw FixtureError(message: "this benchmark's setup completed no generation") }
            return completed
        }
    }

    subscript<Member>(dynamicMember member: KeyPath<HotPathFixture, Member>) -> Member { self.fixture[keyPath: member] }

    func submit() async throws -> GenerationRecord { try await self.fixture.submit() }
    func claim(_ record: GenerationRecord, owner: String) async throws -> GenerationRecord {
        try await self.fixture.claim(record, owner: owner)
    }
    func settle(_ claimed: GenerationRecord, delivered: [Settlement.Delivered], owner: String) async throws -> GenerationRecord {
        try await self.fixture.settle(claimed, delivered: delivered, owner: owner)
    }
}
