import SQLKit

/// The schema of a database an operator command only reads: it must be ImageGate's, at exactly the version this
/// build knows. Such a command never creates or migrates anything (a mistyped `--data-dir` must not turn into a new,
/// empty, "clean" database), so a database without the schema, or behind or ahead of this build, is refused.
package enum SchemaCheck {
    /// The newest migration applied to `database`; nil when it has no ImageGate schema at all. Changes nothing.
    package static func appliedVersion(on database: any Database) async throws -> Int? {
        try await database.read { sql in
            let exists: SQLQueryString =
                switch database.dialect {
                case .sqlite: "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
                case .postgres:
                    "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
                }
            guard let row = try await sql.raw(exists).first(), try row.decode(column: "n", as: Int.self) > 0 else { return nil }
            return try await sql.raw("SELECT max(version) AS v FROM schema_migrations").first()?.decode(column: "v", as: Int?.self)
        }
    }

    /// Throws unless `database` has ImageGate's schema at `latest` (the assembled schema's `latestVersion`); `place`
    /// names it for the error.
    package static func requireCurrent(on database: any Database, latest: Int, place: String) async throws {
        guard let version = try await self.appliedVersion(on: database) else { throw SchemaMismatchError.noSchema(place: place) }
        if version > latest { throw SchemaTooNewError(found: version, known: latest) }
        if version < latest { throw SchemaMismatchError.behind(place: place, found: version, known: latest) }
    }
}

/// A database an operator command may only read is not at this build's schema.
package enum SchemaMismatchError: Error, CustomStringConvertible {
    case noSchema(place: String)
    case behind(place: String, found: Int, known: Int)

    package var description: String {
        switch self {
        case .noSchema(let place): "\(place) has no ImageGate schema: check --data-dir or --database"
        case .behind(let place, let found, let known):
            "\(place) is at schema version \(found), this ImageGate knows \(known): start `imagegate serve` of this version once to migrate it"
        }
    }
}
