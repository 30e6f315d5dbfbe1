import Catalog
import Logging

@testable import Generation
@testable import JobEngine

/// One process as the app wires it: the use cases and the job engine over the same dependencies. The tests drive
/// the use cases (submit, cancel, read) and run generations through the engine, as a worker would.
@dynamicMemberLookup
struct Replica: Sendable {
    let engine: EngineDependencies
    let service: GenerationService

    init(_ engine: EngineDependencies) {
        self.engine = engine
        self.service = GenerationService(engine.generation)
    }

    subscript<Member>(dynamicMember member: KeyPath<EngineDependencies, Member>) -> Member {
        self.engine[keyPath: member]
    }

    /// The engine's dependencies, for the workers.
    var dependencies: EngineDependencies { self.engine }

    var validator: GenerateRequestValidator { self.service.validator }

    func submit(
        _ parameters: GenerateParameters,
        model: ModelSpec,
        accountID: String,
        apiKeyID: String?,
        logger: Logger
    ) async throws -> CreatedGeneration {
        try await self.service.submit(parameters, model: model, accountID: accountID, apiKeyID: apiKeyID, logger: logger)
    }

    func cancel(id: String, accountID: String, waitingUpTo timeout: Duration) async throws -> GenerationRecord? {
        try await self.service.cancel(id: id, accountID: accountID, waitingUpTo: timeout)
    }

    /// Runs one generation to its end, as a worker would.
    @discardableResult
    func process(_ id: String, logger: Logger) async -> GenerationRunner.Result {
        await self.engine.process(id, logger: logger)
    }
}
