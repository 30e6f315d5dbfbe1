import Blobs
import Catalog
import Generation
import Logging
import Providers
import Storage
import Webhooks

/// What the job engine works with: the use cases' `GenerationDependencies` (read through as if they were its own
/// members), and what only runs need: this process's queue, the output mirror and the clock-skew watch. Built once by
/// the bootstrap, which hands `generation` to the use cases and the whole to the workers.
@dynamicMemberLookup
package struct EngineDependencies: Sendable {
    package let generation: GenerationDependencies
    /// This process's queue of generations to run, and the wake-ups of its idle workers (the use cases hand it new
    /// generations through `generation.queue`, the same queue).
    let queue: JobQueue
    let mirror: OutputMirror
    /// This replica's clock against the database's, before a claim judges a lease expired.
    let clockSkew: ClockSkewWatch

    /// Builds the engine and the use cases' dependencies around one queue of `workers`.
    package init(
        catalog: ModelCatalog,
        database: any Database,
        blobs: any BlobStore,
        provider: any ImageProvider,
        references: ReferenceLoader,
        mirror: OutputMirror,
        settings: GenerationSettings,
        webhookBell: WebhookBell
    ) {
        let queue = JobQueue(workers: settings.workers)
        self.queue = queue
        self.mirror = mirror
        self.clockSkew = ClockSkewWatch(maxSkewMillis: settings.maxClockSkewMillis)
        self.generation = GenerationDependencies(
            catalog: catalog,
            database: database,
            blobs: blobs,
            provider: provider,
            references: references,
            queue: queue,
            settings: settings,
            webhookBell: webhookBell
        )
    }

    package subscript<Member>(dynamicMember member: KeyPath<GenerationDependencies, Member>) -> Member {
        self.generation[keyPath: member]
    }

    /// Runs generations over these dependencies.
    var runner: GenerationRunner { GenerationRunner(dependencies: self) }
}

/// A type of the engine that reads the engine's dependencies (and, through them, the use cases') as its own members.
@dynamicMemberLookup
protocol UsesEngineDependencies {
    var dependencies: EngineDependencies { get }
}

extension UsesEngineDependencies {
    subscript<Member>(dynamicMember member: KeyPath<EngineDependencies, Member>) -> Member {
        self.dependencies[keyPath: member]
    }
}

extension JobQueue: RunQueue {}

extension EngineDependencies {
    /// Runs one generation to its end (see `GenerationRunner`): for tests, and a caller that must run one given
    /// generation. Safe to call again for the same id, at once or after a crash: the lease and the guarded settlement
    /// make sure it runs and settles exactly once.
    @discardableResult
    func process(_ id: String, logger: Logger) async -> GenerationRunner.Result {
        await self.runner.run(id, logger: logger)
    }
}
