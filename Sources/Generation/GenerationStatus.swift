import Billing

/// The life of a generation: `queued → processing → completed | failed | cancelled` (and `queued → cancelled`). Only
/// the worker moves a running one forward, a cancel moves only a queued one, and every move to a final state happens
/// in the same transaction as the money settling it, guarded by the state it leaves, so it happens exactly once.
package enum GenerationStatus: String, Sendable, Codable {
    case queued
    case processing
    case completed
    case failed
    case cancelled

    package var isFinal: Bool { self == .completed || self == .failed || self == .cancelled }

    /// How what an end leaves of the hold goes back: a failure's is refunded; what a delivery or the owner's cancel
    /// leaves over is released. `Settlement` moves the money by it and the books audit checks the ledger against it.
    package var returnKind: LedgerKind { self == .failed ? .refund : .release }

    /// The webhook event an end is announced by (nil while the generation has not ended).
    package var webhookEvent: String? {
        switch self {
        case .completed: "generation.completed"
        case .failed: "generation.failed"
        case .cancelled: "generation.cancelled"
        case .queued, .processing: nil
        }
    }
}
