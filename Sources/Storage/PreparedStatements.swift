import Logging
import PostgresKit
import PostgresNIO
import SQLKit
import Synchronization

/// SQLKit on one PostgreSQL connection, sending each statement this process repeats as a named prepared statement.
///
/// PostgresKit sends every statement unnamed, so PostgreSQL parses and analyses it on every call. A statement
/// prepared once per connection is only planned (`plan_cache_mode = force_custom_plan`, see `PostgresDatabase.open`),
/// bound and executed afterwards (`docs/benchmarks.md` has the measurement). The statements are the same SQLKit
/// builds as on SQLite: only how they travel changes, so the one code path stays one.
///
/// A statement is prepared on its second sighting (a one-off, such as a rare `IN` list's length, goes unnamed), under
/// a name that also covers the types of its values, since PostgreSQL fixes a parameter's type when it prepares (an
/// `Int32` bound where an `Int` was prepared would be misread). Values are encoded as PostgresKit encodes them, a
/// `NULL` with its Swift type's PostgreSQL type; values PostgresNIO cannot encode directly (the slow `Encodable`
/// path), and any statement once `PreparedStatementNames.limit` names exist, go unnamed through PostgresKit as before.
///
/// Relies on PostgresNIO 1.33's `PostgresConnection.execute(_:logger:)` reading the statement type's `name` and `sql`
/// before its first suspension (and again only in its `catch`): `NamedStatement` takes them from a task-local value
/// set around that call. `aRepeatedStatementIsPreparedOnceOnItsConnection` checks that the names reach the server.
struct PreparedStatementSQLDatabase: SQLDatabase {
    let connection: PostgresConnection
    let names: PreparedStatementNames

    var logger: Logger { self.connection.logger }
    var eventLoop: any EventLoop { self.connection.eventLoop }
    var dialect: any SQLDialect { PostgresDialect() }
    /// The statements are not logged with their values: those include key hashes and links' secrets.
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        self.eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = self.serialize(query)
        guard let bound = PreparedBindings(binds), let name = self.names.name(sql: sql, types: bound.types) else {
            try await self.connection.sql(queryLogLevel: nil).execute(sql: query, onRow)
            return
        }
        let rows: AsyncThrowingMapSequence<PostgresRowSequence, PostgresRow>
        do {
            rows = try await NamedStatement.$current.withValue(NamedStatement.Text(name: name, sql: sql)) {
                try await self.connection.execute(NamedStatement(bindings: bound.bindings), logger: self.logger)
            }
        } catch {
            self.names.failed(name, sql: sql, types: bound.types, on: self.connection.id, stalePlan: PostgresDatabase.isStalePlan(error))
            throw error
        }
        self.names.prepared(name, on: self.connection.id)
        for try await row in rows { onRow(row.sql()) }
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await closure(self)
    }
}

/// A statement's values bound as PostgresNIO's own encoders write them (the same bytes PostgresKit sends), with the
/// PostgreSQL type of each; nil when a value needs PostgresKit's `Encodable` path.
private struct PreparedBindings {
    var bindings: PostgresBindings
    var types: [UInt32]

    init?(_ binds: [any Encodable & Sendable]) {
        self.bindings = PostgresBindings(capacity: binds.count)
        self.types = []
        self.types.reserveCapacity(binds.count)
        for bind in binds {
            if let optional = bind as? any OptionalProtocol, optional.isNone {
                // Typed as PostgresKit types it (`Optional`'s `postgresData`), so `\(bind: x) IS NULL` can be prepared.
                let type = optional.wrappedType
                self.bindings.append(PostgresData(type: type))
                self.types.append(type.rawValue)
            } else if let value = bind as? any PostgresThrowingDynamicTypeEncodable {
                guard (try? self.bindings.append(value, context: .default)) != nil else { return nil }
                self.types.append(value.psqlType.rawValue)
            } else {
                return nil
            }
        }
    }
}

/// Lets `PreparedBindings` see through an `Optional` of any type (a bound `String?` arrives as an existential).
private protocol OptionalProtocol {
    var isNone: Bool { get }
    /// The PostgreSQL type of what it wraps; `null` (unspecified) for a type PostgresNIO does not encode itself.
    var wrappedType: PostgresDataType { get }
}

extension Optional: OptionalProtocol {
    fileprivate var isNone: Bool { self == nil }
    fileprivate var wrappedType: PostgresDataType { (Wrapped.self as? any PostgresEncodable.Type)?.psqlType ?? .null }
}

/// PostgresNIO's prepared statements are types with a static name and text; the one ImageGate uses takes both from
/// the calling task, which sets them around the single `execute` call that reads them.
private struct NamedStatement: PostgresPreparedStatement {
    struct Text: Sendable {
        var name: String
        var sql: String
    }

    @TaskLocal static var current = Text(name: "", sql: "")

    static var name: String { Self.current.name }
    static var sql: String { Self.current.sql }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { self.bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}

/// The names of this process's prepared statements, shared by its connections (each prepares a name the first
/// time it runs it): one per statement text and value types, given on the text's second sighting.
///
/// PostgresNIO remembers a failed preparation under its name for the connection's life (a statement first prepared
/// inside a transaction PostgreSQL had already aborted would fail there ever after), so a name whose first run on a
/// connection failed is given up, and the statement's next sighting takes a new one. A failed run of a name the
/// connection had prepared (a unique violation, a deadlock) keeps it. A stale plan gives up every name.
final class PreparedStatementNames: Sendable {
    /// At most this many names, so statements whose text varies without end cannot fill a connection's memory on the
    /// server; later ones go unnamed.
    static let limit = 512

    private struct Entry {
        var name: String?
        /// The number in `name`: names are numbered in the order given.
        var number = 0
        var sightings = 0
    }

    private static let prefix = "imagegate_"

    /// A statement's text and its values' types: one name each.
    private struct Key: Hashable {
        var sql: String
        var types: [UInt32]
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var given = 0
        /// The names each connection has prepared (by PostgresNIO's connection id, unique in the process's pool).
        var prepared: [PostgresConnection.ID: Set<String>] = [:]
    }

    private let state = Mutex(State())

    /// The statement's name, or nil to send it unnamed (its first sighting, or past the limit).
    func name(sql: String, types: [UInt32]) -> String? {
        let key = Key(sql: sql, types: types)
        return self.state.withLock { state in
            if let name = state.entries[key]?.name { return name }
            var entry = state.entries[key] ?? Entry()
            entry.sightings += 1
            if entry.sightings >= 2, state.given < Self.limit {
                state.given += 1
                entry.number = state.given
                entry.name = "\(Self.prefix)\(state.given)"
            }
            if entry.name != nil || state.entries.count < Self.limit * 4 { state.entries[key] = entry }
            return entry.name
        }
    }

    /// `name` ran on `connection` (so PostgreSQL prepared it there).
    func prepared(_ name: String, on connection: PostgresConnection.ID) {
        self.state.withLock { state in
            if state.prepared[connection]?.contains(name) == true { return }
            // Connections come and go; forgetting what the gone ones prepared costs a name at worst.
            if state.prepared[connection] == nil, state.prepared.count >= Self.limit { state.prepared = [:] }
            state.prepared[connection, default: []].insert(name)
        }
    }

    /// `name` failed on `connection`: given up if the connection may have failed to prepare it (see the type), or
    /// with every other name if PostgreSQL found its plan stale.
    func failed(_ name: String, sql: String, types: [UInt32], on connection: PostgresConnection.ID, stalePlan: Bool) {
        let key = Key(sql: sql, types: types)
        self.state.withLock { state in
            if stalePlan, let failed = Int(name.dropFirst(Self.prefix.count)) {
                // One migration changes many statements' rows: a transaction retried after one stale plan must not
                // meet the next. The names given since (after another connection's report) are already fresh.
                for (key, entry) in state.entries where entry.name != nil && entry.number <= failed {
                    state.entries[key]?.name = nil
                }
            } else if state.prepared[connection]?.contains(name) != true, state.entries[key]?.name == name {
                state.entries[key]?.name = nil
            }
        }
    }
}
