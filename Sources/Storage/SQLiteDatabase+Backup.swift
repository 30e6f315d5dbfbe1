import Foundation
import Logging
import SQLKit

extension SQLiteDatabase {
    /// Writes a consistent copy of the database to `path`, while servers go on writing to it (`imagegate backup`).
    ///
    /// `VACUUM INTO` reads the whole database inside one read transaction, so the copy is the database as of one
    /// commit, WAL content included ("the generated output database is a consistent snapshot of the original
    /// database", sqlite.org/lang_vacuum.html), and it is written by the SQLite this package links, so no second
    /// copy of SQLite is needed. Copying the file instead misses what is still in `-wal`, or catches a checkpoint
    /// half done. The copy is created owner-only first (it holds the output-link secret; `VACUUM INTO` accepts an
    /// empty file), then checked with `PRAGMA integrity_check`. `latestVersion`: the newest schema this build knows.
    package func backup(into path: String, latestVersion: Int) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BackupError(message: "cannot create \(path)")
        }
        try await self.read { sql in try await sql.raw("VACUUM INTO \(bind: path)").run() }
        try await Self.check(copy: path, latestVersion: latestVersion, logger: self.logger)
    }

    /// Checks a copy made by `backup`: SQLite finds it sound, and it has ImageGate's schema, at a version this
    /// build can run (an older one is migrated when a server starts on it). Returns that version.
    @discardableResult
    package static func check(copy path: String, latestVersion: Int, logger: Logger) async throws -> Int {
        let copy = try await SQLiteDatabase.open(path: path, logger: logger)
        do {
            let answer = try await copy.read { sql in try await sql.raw("PRAGMA integrity_check").all() }
            let lines = try answer.map { try $0.decode(column: "integrity_check", as: String.self) }
            guard lines == ["ok"] else { throw BackupError(message: "\(path) failed SQLite's integrity check: \(lines.prefix(5))") }
            guard let version = try await SchemaCheck.appliedVersion(on: copy) else {
                throw SchemaMismatchError.noSchema(place: "the copy at \(path)")
            }
            if version > latestVersion { throw SchemaTooNewError(found: version, known: latestVersion) }
            try await copy.close()
            return version
        } catch {
            try? await copy.close()
            throw error
        }
    }
}

/// A backup or restore that cannot go on; the message says why.
package struct BackupError: Error, CustomStringConvertible {
    package let message: String
    package init(message: String) { self.message = message }
    package var description: String { self.message }
}
