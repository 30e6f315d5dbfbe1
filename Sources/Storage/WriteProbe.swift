import SQLKit

extension Database {
    /// Commits one real row write (a row of `schema_migrations` set to itself), so `/ready` learns whether the
    /// database takes writes: a read-only replica, a lost lock or a refusing disk answer `SELECT 1` happily.
    package func probeWrite() async throws {
        try await self.transaction(priority: .normal) { sql in
            try await sql.raw(
                "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT max(version) FROM schema_migrations)"
            ).run()
        }
    }
}
