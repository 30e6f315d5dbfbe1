import Essentials
import Foundation
import Imaging
import NIOPosix

/// The emulator's state: output files, the render cache, the seeded dice and the counters.
actor ArkState {
    let configuration: ArkEmulatorConfiguration
    private var files: [String: (bytes: [UInt8], contentType: String)] = [:]
    private var renders: [String: [UInt8]] = [:]
    private var random: SeededRandom
    private var calls = 0
    private var promptsRun: Set<String> = []
    private(set) var stats = ArkStats()

    init(configuration: ArkEmulatorConfiguration, protocol name: String = "ark") {
        self.configuration = configuration
        self.random = SeededRandom(seed: configuration.randomSeed)
        self.stats.protocol = name
    }

    /// A new call came in (authorised): whether it is refused with a 429 before anything runs.
    func admit() -> Bool {
        self.stats.requestsReceived += 1
        self.calls += 1
        let limited = self.calls <= self.configuration.rateLimitFirst || self.roll(self.configuration.rateLimitRate)
        if limited { self.stats.rateLimited += 1 }
        return !limited
    }

    /// Whether this call fails as a whole (`failType`), before any work.
    func failsWhole() -> Bool {
        let fails = self.roll(self.configuration.failRate)
        if fails { self.stats.failuresInjected += 1 }
        return fails
    }

    /// Whether this call's finished work is answered with a 500 (the answer "lost").
    func losesAnswer() -> Bool {
        let lost = self.roll(self.configuration.lostAnswerRate)
        if lost { self.stats.answersLost += 1 }
        return lost
    }

    /// Takes a call and makes its images at once (Ark and OpenAI-compatible servers are synchronous).
    func run(_ call: ArkCall, id: String) async -> [ArkImage?] {
        self.accept(call)
        return await self.make(call, id: id)
    }

    /// Counts a call taken for work: its prompt (a prompt seen before is, with unique prompts, a resend) and how its
    /// references came.
    func accept(_ call: ArkCall) {
        self.stats.accepted += 1
        if !self.promptsRun.insert(call.prompt).inserted { self.stats.duplicatePrompts += 1 }
        for reference in call.references {
            if reference.hasPrefix("data:") { self.stats.referenceDataURIs += 1 } else { self.stats.referenceRemoteURLs += 1 }
        }
    }

    /// Makes an accepted call's images and bills them; each slot is an image's file name and size, or nil where that
    /// image failed.
    func make(_ call: ArkCall, id: String) async -> [ArkImage?] {
        let format: ImageFormat = call.format == "png" ? .png : .jpeg
        let bytes = await self.render(width: call.width, height: call.height, format: format)
        var slots: [ArkImage?] = []
        for index in 0..<call.count {
            guard let bytes, !self.roll(self.configuration.imageFailureRate) else {
                self.stats.imageFailures += 1
                slots.append(nil)
                continue
            }
            let name = "\(id)/\(index).\(format.fileExtension)"
            if self.roll(self.configuration.dropOutputRate) {
                self.stats.droppedOutputs += 1
            } else {
                self.files[name] = (bytes, format.contentType)
            }
            slots.append(ArkImage(name: name, bytes: bytes, width: call.width, height: call.height))
        }
        let made = slots.compactMap { $0 }.count
        self.stats.imagesBilled += made
        self.stats.callsBilled += made > 0 ? 1 : 0
        return slots
    }

    func countInvalid() { self.stats.invalidRequests += 1 }
    func countPoll() { self.stats.statusPolls += 1 }
    func countCancelled() { self.stats.cancelled += 1 }
    func countFailed() { self.stats.failed += 1 }

    func file(_ name: String) -> (bytes: [UInt8], contentType: String)? { self.files[name] }

    /// Renders once per size and format, so the emulator is never the bottleneck.
    private func render(width: Int, height: Int, format: ImageFormat) async -> [UInt8]? {
        let key = "\(width)x\(height).\(format.rawValue)"
        if let cached = self.renders[key] { return cached }
        let spec = PreviewSpec(prompt: "ark emulator", variation: 2, width: width, height: height, format: format, footer: "ImageGate Ark emulator")
        guard let bytes = try? await NIOThreadPool.singleton.runIfActive({ try PreviewRenderer.render(spec) }) else { return nil }
        self.renders[key] = bytes
        return bytes
    }

    private func roll(_ rate: Double) -> Bool { rate > 0 && self.random.nextUnit() < rate }
}

/// One image a call made.
struct ArkImage: Sendable {
    let name: String
    let bytes: [UInt8]
    let width: Int
    let height: Int
}

/// Counters the tests read through `GET /_emulator/stats` (not part of Ark's API).
struct ArkStats: Encodable, Sendable {
    var `protocol` = "ark"
    var requestsReceived = 0
    /// Calls whose work ran (billed when at least one image came out).
    var accepted = 0
    var callsBilled = 0
    /// Images made and billed (per-image failures are not billed).
    var imagesBilled = 0
    var imageFailures = 0
    var rateLimited = 0
    var failuresInjected = 0
    /// Calls that ran and were billed, then answered 500.
    var answersLost = 0
    var droppedOutputs = 0
    var invalidRequests = 0
    /// Asynchronous protocols (Replicate): predictions read, cancelled before they made anything, and ended `failed`.
    var statusPolls = 0
    var cancelled = 0
    var failed = 0
    /// Calls run whose prompt an earlier call had: with unique prompts, a resend.
    var duplicatePrompts = 0
    var referenceDataURIs = 0
    var referenceRemoteURLs = 0
}
