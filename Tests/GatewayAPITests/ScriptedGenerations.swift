import Catalog
import Foundation
import Generation
import NIOCore
import Synchronization
import Webhooks

/// A `GenerationUseCases` double for controller tests: answers `create` from a script, records what it was asked,
/// and fails loudly (a test-visible error) on any call the test did not script.
final class ScriptedGenerations: GenerationUseCases {
    struct Unscripted: Error, CustomStringConvertible {
        let call: String
        var description: String { "ScriptedGenerations: unexpected call \(self.call)" }
    }

    let catalog: ModelCatalog
    private let script: Mutex<[Result<CreatedGeneration, RequestError>]>
    private let asked = Mutex<[NewGeneration]>([])

    /// What `generation(id:)` and then each `generation(id:changedFrom:)` answer, in order (progress streams).
    private let views: Mutex<[GenerationRecord]>

    init(catalog: ModelCatalog, creates: [Result<CreatedGeneration, RequestError>] = [], views: [GenerationRecord] = []) {
        self.catalog = catalog
        self.script = Mutex(creates)
        self.views = Mutex(views)
    }

    /// Every `create` request received, in order.
    var requests: [NewGeneration] { self.asked.withLock { $0 } }

    func create(_ request: NewGeneration) async throws -> CreatedGeneration {
        self.asked.withLock { $0.append(request) }
        let next = self.script.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let next else { throw Unscripted(call: "create") }
        return try next.get()
    }

    func generation(id: String, accountID: String) async throws -> GenerationRecord? { try self.nextView("generation(id:)") }

    func generation(id: String, accountID: String, changedFrom progress: GenerationProgress, waitingUpTo timeout: Duration) async throws
        -> GenerationRecord?
    {
        try self.nextView("generation(id:changedFrom:)")
    }

    func cancel(id: String, accountID: String, waitingUpTo timeout: Duration) async throws -> GenerationRecord? {
        try self.nextView("cancel(id:)")
    }

    private func nextView(_ call: String) throws -> GenerationRecord {
        guard let next = self.views.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) else { throw Unscripted(call: call) }
        return next
    }

    /// What `modelHealth(model:)` answers for every model.
    let health = ModelHealth(ended: 0, completed: 0, medianMillis: nil)

    func modelHealth(model: String) async throws -> ModelHealth { self.health }

    /// What `attempts(generationID:accountID:)` answers for every generation.
    let attempts: [AttemptRecord] = []

    func attempts(generationID: String, accountID: String) async throws -> [AttemptRecord] { self.attempts }

    func webhook(generationID: String, accountID: String) async throws -> WebhookDelivery? { throw Unscripted(call: "webhook") }

    func redeliverWebhook(generationID: String, accountID: String) async throws -> WebhookDelivery? { throw Unscripted(call: "redeliverWebhook") }

    func generations(accountID: String, limit: Int, after cursor: String?) async throws -> GenerationsPage {
        throw Unscripted(call: "generations(accountID:)")
    }

    func readOutput(_ image: OutputImage, into consume: (ByteBuffer) async throws -> Void) async throws { throw Unscripted(call: "readOutput") }
}
