import Billing
import Blobs
import Catalog
import Foundation
import Imaging
import Logging
import NIOCore
import Providers
import SQLKit
import Storage

/// What the generation engine works with, built once per process and shared as one value by the service, the
/// runner, the workers and the webhook dispatcher (each reads its members through `@dynamicMemberLookup`, so the
/// list is written here only).
package struct GenerationDependencies: Sendable {
    let catalog: ModelCatalog
    let database: any Database
    let blobs: any BlobStore
    let provider: any ImageProvider
    let references: ReferenceLoader
    let mirror: OutputMirror
    /// This process's queue of generations to run, and the wake-ups of its idle workers.
    let queue: JobQueue
    let settings: GenerationSettings
    let store: GenerationStore
    let outputs: OutputStore
    let idempotency: IdempotencyStore
    let webhooks: WebhookOutbox
    /// Where webhooks may point: public addresses, unless the operator allows private ones.
    let webhookPolicy: AddressPolicy
    /// Rung, by generation id, when a generation ends (its waiters read it again).
    let hub = CompletionHub()
    /// Rung when a webhook may have become due (a settlement, a redelivery), so the dispatcher sends it at once.
    let webhookBell = CompletionHub()
    /// This replica's clock against the database's, before a claim judges a lease expired.
    let clockSkew: ClockSkewWatch

    package init(
        catalog: ModelCatalog,
        database: any Database,
        blobs: any BlobStore,
        provider: any ImageProvider,
        references: ReferenceLoader,
        mirror: OutputMirror,
        queue: JobQueue,
        settings: GenerationSettings
    ) {
        self.catalog = catalog
        self.database = database
        self.blobs = blobs
        self.provider = provider
        self.references = references
        self.mirror = mirror
        self.queue = queue
        self.settings = settings
        self.store = GenerationStore(database: database)
        self.outputs = OutputStore(database: database)
        self.idempotency = IdempotencyStore(database: database)
        self.webhooks = WebhookOutbox(database: database)
        self.webhookPolicy = AddressPolicy(allowPrivate: settings.webhooks.allowPrivateAddresses)
        self.clockSkew = ClockSkewWatch(maxSkewMillis: settings.maxClockSkewMillis)
    }

    /// The one way a generation ends (see `Settlement`).
    var settlement: Settlement { Settlement(dependencies: self) }
}

/// A type that works with the engine's `GenerationDependencies` and reads them as if they were its own members.
@dynamicMemberLookup
protocol UsesGenerationDependencies {
    var dependencies: GenerationDependencies { get }
}

extension UsesGenerationDependencies {
    subscript<Member>(dynamicMember member: KeyPath<GenerationDependencies, Member>) -> Member {
        self.dependencies[keyPath: member]
    }
}
