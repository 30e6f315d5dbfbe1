import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Imaging
import Logging
import NIOCore
import Outbound
import Providers
import SQLKit
import Storage
import Webhooks

/// What the generation use cases and `Settlement` work with, built once per process and shared as one value by the
/// service and the job engine (each reads its members through `@dynamicMemberLookup`, so the list is written here
/// only).
package struct GenerationDependencies: Sendable {
    package let catalog: ModelCatalog
    package let database: any Database
    package let blobs: any BlobStore
    package let provider: any ImageProvider
    package let references: ReferenceLoader
    /// This process's queue of generations to run (the job engine's), where a new generation is handed to an idle
    /// worker.
    package let queue: any RunQueue
    package let settings: GenerationSettings
    package let store: GenerationStore
    package let outputs: OutputStore
    package let idempotency: IdempotencyStore
    package let webhooks: WebhookOutbox
    /// Where webhooks may point: public addresses, unless the operator allows private ones.
    package let webhookPolicy: AddressPolicy
    /// Rung, by generation id, when a generation ends (its waiters read it again).
    package let hub = CompletionHub()
    /// Rung when a webhook may have become due (a settlement, a redelivery), so the dispatcher sends it at once.
    package let webhookBell: WebhookBell

    package init(
        catalog: ModelCatalog,
        database: any Database,
        blobs: any BlobStore,
        provider: any ImageProvider,
        references: ReferenceLoader,
        queue: any RunQueue,
        settings: GenerationSettings,
        webhookBell: WebhookBell
    ) {
        self.catalog = catalog
        self.database = database
        self.blobs = blobs
        self.provider = provider
        self.references = references
        self.queue = queue
        self.settings = settings
        self.store = GenerationStore(database: database)
        self.outputs = OutputStore(database: database)
        self.idempotency = IdempotencyStore(database: database)
        self.webhooks = WebhookOutbox(database: database)
        self.webhookPolicy = AddressPolicy(allowPrivate: settings.webhooks.allowPrivateAddresses)
        self.webhookBell = webhookBell
    }

    /// The one way a generation ends (see `Settlement`).
    package var settlement: Settlement { Settlement(dependencies: self) }
}

/// Where the use cases hand a new generation to this process's workers: the job engine's `JobQueue`.
package protocol RunQueue: Sendable {
    /// Queues `id` for this process's workers; false when no worker was idle to take it at once (another replica's
    /// may then be woken).
    func enqueue(_ id: String, requestID: String?) -> Bool
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
