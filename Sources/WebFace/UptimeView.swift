import Catalog
import Foundation

/// The sentence of the model page's "Last 24 hours" panel.
struct UptimeView: Sendable {
    let hasData: Bool
    /// "98.5%" of generations succeeded.
    let successShare: String
    let ended: Int
    /// "6.2 s" to a finished image.
    let median: String

    init(_ uptime: ModelHealth) {
        self.hasData = uptime.ended > 0
        self.ended = uptime.ended
        let share = uptime.ended > 0 ? Double(uptime.completed) * 100 / Double(uptime.ended) : 0
        self.successShare = share == 100 || share == 0 ? "\(Int(share))%" : String(format: "%.1f%%", share)
        self.median = uptime.medianMillis.map { String(format: "%.1f s", Double($0) / 1000) } ?? "–"
    }
}
