import Essentials
import SQLKit

/// One schema change of one target's tables, with the DDL for each dialect where they differ. A step, once shipped,
/// never changes; new needs get a new step.
///
/// Versions are one sequence for the whole database (a database records each version it has applied), so a target's
/// new step takes the next free version. Several targets may own parts of one version: version 1 created every
/// target's first tables, and a version is applied, and recorded, with all of its parts at once.
package struct MigrationStep: Sendable {
    package let version: Int
    package let statements: @Sendable (SQLDialectKind) -> [String]

    package init(version: Int, statements: @escaping @Sendable (SQLDialectKind) -> [String]) {
        self.version = version
        self.statements = statements
    }
}

/// The schema of a database, assembled from the steps of each target that owns tables in it (the app lists them:
/// Storage's own `settings`, then Billing, Generation, Webhooks). Parts of one version are applied in the order the
/// targets are listed, so a table is created before the tables that reference it.
package struct Migrations: Sendable {
    package let steps: [MigrationStep]

    /// `parts`: each target's steps, in the order their tables depend on each other.
    package init(_ parts: [[MigrationStep]]) {
        self.steps = parts.flatMap { $0 }
    }

    /// Storage's own table: small named values every replica shares (`Settings`).
    package static let storageSteps: [MigrationStep] = [
        MigrationStep(version: 1) { _ in
            [
                """
                CREATE TABLE settings (
                    name TEXT PRIMARY KEY,
                    value TEXT NOT NULL
                )
                """
            ]
        }
    ]

    /// The newest schema this version of ImageGate knows.
    package var latestVersion: Int { self.steps.map(\.version).max() ?? 0 }

    /// Brings the schema up to date; safe to run on every start, and from several replicas at once (on PostgreSQL an
    /// advisory lock makes them take turns: the first migrates, the others find nothing left to do). A database
    /// migrated by a newer ImageGate is refused rather than written with rules it does not know.
    package func run(on database: any Database) async throws {
        let dialect = database.dialect
        try await database.transaction { sql in
            if dialect == .postgres {
                // Held until this transaction ends; the key is an arbitrary constant of ImageGate's.
                try await sql.raw("SELECT pg_advisory_xact_lock(\(bind: Self.advisoryLockKey))").run()
            }
            try await sql.raw("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)").run()
            let rows = try await sql.raw("SELECT version FROM schema_migrations").all()
            let applied = Set(try rows.map { try $0.decode(column: "version", as: Int.self) })
            if let newest = applied.max(), newest > self.latestVersion {
                throw SchemaTooNewError(found: newest, known: self.latestVersion)
            }
            for version in Set(self.steps.map(\.version)).sorted() where !applied.contains(version) {
                for step in self.steps where step.version == version {
                    for statement in step.statements(dialect) {
                        try await sql.raw(SQLQueryString(statement)).run()
                    }
                }
                try await sql.raw(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(bind: version), \(bind: Timestamp.nowMillis()))"
                ).run()
            }
        }
    }
}

extension Migrations {
    /// The advisory lock key that serializes migrations across replicas ("IMGGATE" in ASCII).
    static let advisoryLockKey: Int64 = 0x494D_4747_4154_45
}

/// The database was migrated by a newer ImageGate: this one must not run on it.
package struct SchemaTooNewError: Error, CustomStringConvertible {
    package let found: Int
    package let known: Int
    package var description: String {
        "the database schema is at version \(self.found), newer than this ImageGate knows (\(self.known)): upgrade ImageGate"
    }
}
