import Catalog
import SQLKit
import Storage
import Synchronization

extension ModelHealth {
    /// Reads the figures of generations of `model` created since `since` (two indexed queries: the counts, then the
    /// middle duration).
    static func read(model: String, since: Int64, on database: any Database) async throws -> ModelHealth {
        try await database.read { sql in
            let counts = try await sql.raw(
                """
                SELECT SUM(CASE WHEN status IN ('completed', 'failed') THEN 1 ELSE 0 END) AS ended,
                    SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed
                FROM generations WHERE model = \(bind: model) AND created_at >= \(bind: since)
                """
            ).first()
            let ended = try counts?.decode(column: "ended", as: Int?.self) ?? 0
            let completed = try counts?.decode(column: "completed", as: Int?.self) ?? 0
            guard completed > 0 else { return ModelHealth(ended: ended, completed: 0, medianMillis: nil) }
            let median = try await sql.raw(
                """
                SELECT completed_at - created_at AS took FROM generations
                WHERE model = \(bind: model) AND created_at >= \(bind: since) AND status = 'completed'
                ORDER BY took LIMIT 1 OFFSET \(bind: (completed - 1) / 2)
                """
            ).first()?.decode(column: "took", as: Int64.self)
            return ModelHealth(ended: ended, completed: completed, medianMillis: median)
        }
    }
}

/// The figures of each model, kept a minute: the model pages are public, so a visitor's reload must not cost a
/// query each.
final class ModelHealthCache: Sendable {
    private let entries = Mutex<[String: (at: Int64, health: ModelHealth)]>([:])
    static let lifetimeMillis: Int64 = 60_000

    func health(model: String, now: Int64, read: () async throws -> ModelHealth) async throws -> ModelHealth {
        if let cached = self.entries.withLock({ $0[model] }), now - cached.at < Self.lifetimeMillis { return cached.health }
        let health = try await read()
        self.entries.withLock { $0[model] = (now, health) }
        return health
    }
}
