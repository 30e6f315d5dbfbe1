import Billing
import Customers
import Generation
import Payments
import Storage
import Webhooks

/// The database's schema, assembled from the targets that own tables: Storage's `settings`, then Billing's, then
/// Generation's (which reference accounts), then Webhooks' (which reference generations), then Payments' (accounts), then Customers' (accounts).
package enum ImageGateSchema {
    package static let migrations = Migrations([
        Migrations.storageSteps, BillingTables.migrations, GenerationTables.migrations, WebhookTables.migrations, PaymentTables.migrations,
        CustomerTables.migrations,
    ])
}
