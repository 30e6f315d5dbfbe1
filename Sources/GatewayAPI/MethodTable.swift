import HTTPTypes
import Hummingbird
import Synchronization

/// Which methods each route path answers, so a request with another method gets `405` and an `Allow` header
/// instead of a `404`. Filled once the router is complete (middleware is added before the routes).
final class MethodTable: Sendable {
    private let entries = Mutex<[(segments: [Substring], method: String)]>([])

    /// Records every route of the finished router.
    func load<Context>(from router: Router<Context>) {
        let list = router.routes.map { route in
            (segments: route.path.description.split(separator: "/"), method: route.method.rawValue)
        }
        self.entries.withLock { $0 = list }
    }

    /// The methods routed at `path`, sorted; empty when no route matches the path at all.
    func allowed(for path: String) -> [String] {
        let parts = path.split(separator: "/")
        let methods = self.entries.withLock { entries in
            entries.filter { entry in
                entry.segments.count == parts.count
                    && zip(entry.segments, parts).allSatisfy { pattern, part in pattern.hasPrefix(":") || pattern == "*" || pattern == part }
            }.map(\.method)
        }
        return Array(Set(methods)).sorted()
    }
}
