import Catalog
import Foundation
import Providers
import Synchronization

/// A provider double for the engine's money paths: it answers from a script and fails loudly (records an error
/// outcome the test sees) when called more often than the script allows.
final class ScriptedProvider: ImageProvider, Sendable {
    enum Step: Sendable {
        /// Deliver this many in-memory images (fewer than asked = the rest are undelivered).
        case deliver(Int)
        /// Fail the whole generation.
        case fail(ProviderError)
        /// Return remote images at these URLs (for mirror failures).
        case remote([String])
        /// Work for this long, then deliver this many images.
        case deliverAfter(Duration, Int)
        /// Record that a submit is leaving, then stop as a crashed process would (interrupted, nothing saved).
        case crashWhileSubmitting
        /// Work until the owner asks to cancel, then stop as an upstream would that honours it; the upstream still
        /// bills `billed` images.
        case stopOnCancel(billed: Int)
        /// Work until the owner asks to cancel, then deliver anyway (the upstream finished first).
        case deliverOnCancel(Int)
        /// Work until the test opens `gate`, then deliver this many images.
        case deliverWhenOpened(Gate, Int)
    }

    /// A latch a test opens to let one `.deliverWhenOpened` step finish.
    final class Gate: Sendable {
        private let stream: AsyncStream<Void>
        private let continuation: AsyncStream<Void>.Continuation

        init() { (self.stream, self.continuation) = AsyncStream.makeStream() }

        func open() { self.continuation.finish() }

        func wait() async { for await _ in self.stream {} }
    }

    let name = "scripted"
    /// The steps left, and how often it was called (read under the lock: tests look while a run calls it).
    private let script: Mutex<(steps: [Step], calls: Int)>
    var calls: Int { self.script.withLock { $0.calls } }

    /// What the pretend upstream bills per image.
    let costPerImage: Int64

    func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64 { self.costPerImage }

    init(_ steps: [Step], costPerImage: Int64 = 0) {
        self.script = Mutex((steps, 0))
        self.costPerImage = costPerImage
    }

    func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome {
        let step: Step? = self.script.withLock { script in
            script.calls += 1
            return script.steps.isEmpty ? nil : script.steps.removeFirst()
        }
        guard let step else {
            throw ProviderError(code: .unexpectedCall, message: "ScriptedProvider was called more often than scripted")
        }
        switch step {
        case .deliver(let count):
            let image = ProviderImage.bytes(Array("fake-png-\(request.generationID)".utf8), contentType: "image/png", width: 8, height: 8)
            return ProviderOutcome(images: Array(repeating: image, count: count), seed: request.seed, seedHonoured: true)
        case .fail(let error):
            throw error
        case .deliverWhenOpened(let gate, let count):
            await gate.wait()
            let image = ProviderImage.bytes(Array("fake-png-\(request.generationID)".utf8), contentType: "image/png", width: 8, height: 8)
            return ProviderOutcome(images: Array(repeating: image, count: count), seed: request.seed, seedHonoured: true)
        case .deliverAfter(let duration, let count):
            do {
                try await Task.sleep(for: duration)
            } catch {
                throw ProviderError(code: .interrupted, message: "cancelled")
            }
            let image = ProviderImage.bytes(Array("fake-png-\(request.generationID)".utf8), contentType: "image/png", width: 8, height: 8)
            return ProviderOutcome(images: Array(repeating: image, count: count), seed: request.seed, seedHonoured: true)
        case .crashWhileSubmitting:
            do {
                try await context.willSubmit()
            } catch {
                throw ProviderError(code: .upstreamFailed, message: "\(error)")
            }
            throw ProviderError(code: .interrupted, message: "the process died mid-submit")
        case .stopOnCancel(let billed):
            try await Self.waitForCancel(context)
            throw ProviderError(code: .cancelled, message: "Cancelled by its owner.", billedImages: billed)
        case .deliverOnCancel(let count):
            try await Self.waitForCancel(context)
            let image = ProviderImage.bytes(Array("fake-png-\(request.generationID)".utf8), contentType: "image/png", width: 8, height: 8)
            return ProviderOutcome(images: Array(repeating: image, count: count), seed: request.seed, seedHonoured: true)
        case .remote(let urls):
            return ProviderOutcome(images: urls.map { .remote(url: $0, contentType: nil, width: nil, height: nil) }, seed: nil, seedHonoured: false)
        }
    }

    /// Asks, as a provider does between steps, until the owner has asked to cancel (or the task is cancelled).
    static func waitForCancel(_ context: ProviderContext) async throws(ProviderError) {
        while !(await context.cancelRequested()) {
            do {
                try await Task.sleep(for: .milliseconds(10))
            } catch {
                throw ProviderError(code: .interrupted, message: "cancelled")
            }
        }
    }
}
