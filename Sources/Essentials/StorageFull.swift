import Metrics
import Synchronization

/// A store refused a write for want of space (SQLite's `SQLITE_FULL`, PostgreSQL's `53100 disk_full`, `ENOSPC` on
/// the output folder). Nothing of the refused write was kept; the caller may try again once space is back. The HTTP
/// layer answers it with `503 storage_full` and `Retry-After`, without knowing which module threw it.
package struct StorageFullError: UnavailableDependency, CustomStringConvertible, Sendable {
    package let store: FullStore
    package let detail: String

    package init(_ store: FullStore, detail: String) {
        self.store = store
        self.detail = detail
    }

    package var description: String { "\(self.store.rawValue) is full: \(self.detail)" }
    package var dependencyName: String { self.store.personName }
    package var retryAfterSeconds: Int { 30 }
    package var code: String { "storage_full" }
    package var publicMessage: String { "\(self.store.personName) is full for the moment; nothing was done. Please try again later." }
}

/// Which store ran out of space, as `/ready` and the `imagegate_storage_full` metric name it.
package enum FullStore: String, Sendable, CaseIterable {
    case database
    case outputs

    var personName: String {
        switch self {
        case .database: "The database"
        case .outputs: "The output store"
        }
    }
}

/// Whether a store refused a write for want of space lately: set by the refusal, cleared by the next write that
/// succeeds. While it is set, new generations are refused before any hold or fetch (a generation admitted now
/// could not keep its images or settle); after `window` without a refusal, writes are tried again, so the server
/// recovers by itself once space is back without anyone having to succeed first.
///
/// The gauge `imagegate_storage_full{store}` is 1 from a refusal until the next write that succeeds, for alerts.
package final class FullMark: Sendable {
    private let lastRefusal = Mutex<Int64?>(nil)
    private let window: Int64
    private let gauge: Gauge

    package init(_ store: FullStore, windowMillis: Int64 = 10_000) {
        self.window = windowMillis
        self.gauge = Gauge(label: "imagegate_storage_full", dimensions: [("store", store.rawValue)])
        self.gauge.record(0)
    }

    private func onChange(_ full: Bool) {
        self.gauge.record(full ? 1 : 0)
    }

    /// A write was refused for want of space.
    package func noteRefusal(at now: Int64 = Timestamp.nowMillis()) {
        let was = self.lastRefusal.withLock { last in
            defer { last = now }
            return last != nil
        }
        if !was { self.onChange(true) }
    }

    /// A write succeeded: there is room again.
    package func noteWrite() {
        let was = self.lastRefusal.withLock { last in
            defer { last = nil }
            return last != nil
        }
        if was { self.onChange(false) }
    }

    /// Whether a write was refused within the window, with none succeeding since.
    package func isFull(at now: Int64 = Timestamp.nowMillis()) -> Bool {
        guard let last = self.lastRefusal.withLock({ $0 }) else { return false }
        return now - last < self.window
    }
}
