import SQLKit

/// Small named values kept in the database, such as the secret that signs output links, so every replica
/// sharing the database agrees on them.
package enum Settings {
    /// Returns the stored value for `name`, creating it with `make()` the first time.
    package static func value(named name: String, in database: any Database, orCreate make: @Sendable () -> String) async throws -> String {
        try await database.transaction { sql in
            if let row = try await sql.raw("SELECT value FROM settings WHERE name = \(bind: name)").first() {
                return try row.decode(column: "value", as: String.self)
            }
            let value = make()
            try await sql.raw("INSERT INTO settings (name, value) VALUES (\(bind: name), \(bind: value))").run()
            return value
        }
    }
}
