import Catalog
import Essentials

/// One image a provider produced: in memory (local engine) or at a URL to be mirrored (upstreams).
package enum ProviderImage: Sendable {
    case bytes([UInt8], contentType: String, width: Int, height: Int)
    case remote(url: String, contentType: String?, width: Int?, height: Int?)
}

/// What a provider returns for a generation that ran. It may hold fewer images than asked for: the missing ones
/// are refunded.
package struct ProviderOutcome: Sendable {
    package let images: [ProviderImage]
    /// The seed the engine reports having used (fal chooses its own; the local engine uses ours).
    package let seed: Int64?
    /// Whether the requested seed was honoured.
    package let seedHonoured: Bool

    package init(images: [ProviderImage], seed: Int64?, seedHonoured: Bool) {
        self.images = images
        self.seed = seed
        self.seedHonoured = seedHonoured
    }
}

/// An upstream request a provider has started: its id, and whatever the provider needs to find it again
/// (for fal, the status/result/cancel URLs that submit returned), as opaque text.
package struct UpstreamHandle: Sendable, Equatable {
    package let requestID: String
    package let data: String

    package init(requestID: String, data: String) {
        // Both are the upstream's text, stored as they are: made storable on either engine.
        self.requestID = requestID.storable
        self.data = data.storable
    }
}

/// Lets a provider persist progress that must survive a crash (an upstream request) without touching the
/// database itself. The runner decides from what was saved whether a provider may submit at all: a generation
/// whose submit may have reached the upstream but whose handle was never saved is never given to a provider again.
package struct ProviderContext: Sendable {
    /// An upstream request saved by an earlier run of this generation: follow it, never submit again.
    package let resume: UpstreamHandle?
    /// Records, durably, that a submit is about to leave this machine. Call it right before the submit: from then
    /// on a crash can no longer be answered by submitting again.
    package let willSubmit: @Sendable () async throws -> Void
    /// Saves the upstream request; returns once it is durable.
    package let record: @Sendable (UpstreamHandle) async throws -> Void
    /// Whether the owner asked to cancel the generation. A provider asks it between steps (before a submit, before
    /// each image, at each status poll), stops what it can (cancelling upstream), and returns what came back anyway.
    package let cancelRequested: @Sendable () async -> Bool
    /// Reports where the request waits in the upstream's queue (requests ahead of it), when the upstream says;
    /// nil once it runs. Called only when it changes. For progress only: nothing depends on it being saved.
    package let queuePosition: @Sendable (Int?) async -> Void
    /// Records, durably, that an attempt on `RouteAttempt`'s route begins (or goes on, after a restart): the books
    /// then know which route any submit that follows went to, and what it bills. Called by `RoutedProvider` before
    /// it hands the request to a route.
    package let attempt: @Sendable (RouteAttempt) async throws -> Void
    /// Records, durably, that the attempt ended with an error that provably started nothing billable, so the
    /// generation moves to another route with the same hold: the attempt is closed and the generation is free to be
    /// submitted again (elsewhere).
    package let attemptFailed: @Sendable (RouteAttempt, ProviderError) async throws -> Void

    package init(
        resume: UpstreamHandle?,
        willSubmit: @escaping @Sendable () async throws -> Void = {},
        cancelRequested: @escaping @Sendable () async -> Bool = { false },
        queuePosition: @escaping @Sendable (Int?) async -> Void = { _ in },
        attempt: @escaping @Sendable (RouteAttempt) async throws -> Void = { _ in },
        attemptFailed: @escaping @Sendable (RouteAttempt, ProviderError) async throws -> Void = { _, _ in },
        record: @escaping @Sendable (UpstreamHandle) async throws -> Void
    ) {
        self.resume = resume
        self.willSubmit = willSubmit
        self.cancelRequested = cancelRequested
        self.queuePosition = queuePosition
        self.attempt = attempt
        self.attemptFailed = attemptFailed
        self.record = record
    }
}

/// Turns a request into images or an error. Providers never touch money or the database.
package protocol ImageProvider: Sendable {
    /// The name shown in responses (`local`, `fal`).
    var name: String { get }

    func generate(_ request: ProviderRequest, context: ProviderContext) async throws(ProviderError) -> ProviderOutcome

    /// What the upstream bills ImageGate for one image of `model` at size tier `size`, in micro-USD (0 for the
    /// local engine).
    func upstreamCostPerImage(_ model: ModelSpec, size: String) -> Int64

    /// The provider that runs `model` (its generations record it, and responses show it).
    func providerName(for model: ModelSpec) -> String

    /// Why the supplier that runs `model` cannot serve a request the model's public contract accepted, or nil.
    func refusal(for model: ModelSpec, size: String, references: Int, images: Int) -> RouteRefusal?
}

extension ImageProvider {
    package func providerName(for model: ModelSpec) -> String { self.name }
    package func refusal(for model: ModelSpec, size: String, references: Int, images: Int) -> RouteRefusal? { nil }
}
