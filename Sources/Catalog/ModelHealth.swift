/// How a model fared for its customers over the last day, from the books (per model, not per supplier: a failover
/// that saved the generation counts as the success the customer saw), as OpenRouter shows uptime. Read by the
/// engine (`ModelHealth.read` in Generation), shown by the model's page.
package struct ModelHealth: Sendable, Equatable {
    /// Generations that ended completed or failed in the window (a cancel is the owner's choice, not counted).
    package let ended: Int
    package let completed: Int
    /// The median time from request to finished image of the completed ones; nil when none completed.
    package let medianMillis: Int64?

    package init(ended: Int, completed: Int, medianMillis: Int64?) {
        self.ended = ended
        self.completed = completed
        self.medianMillis = medianMillis
    }

    /// The share that succeeded, from 0 to 1; nil when none ended.
    package var successShare: Double? { self.ended > 0 ? Double(self.completed) / Double(self.ended) : nil }

    /// The window the figures cover.
    package static let windowMillis: Int64 = 24 * 3600 * 1000
}
