import Billing
import Generation
import Payments
import Storage
import Webhooks

extension Migrations {
    /// Every table the generation engine works with (the app assembles the same list, `ImageGateSchema`, which these
    /// tests do not link).
    static let engine = Migrations([
        Migrations.storageSteps, BillingTables.migrations, GenerationTables.migrations, WebhookTables.migrations, PaymentTables.migrations,
    ])
}
