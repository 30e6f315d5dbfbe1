import ArgumentParser
import Foundation
import ImageGateApp
import Logging

/// `--data-dir`, `--database` and the blob store, shared by every command that opens the data directory.
struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory (env IMAGEGATE_DATA_DIR). Default: ./data")
    var dataDirectory: String?

    @Option(
        name: .customLong("database"),
        help: "SQLite database file, or a postgres://user:password@host:port/db URL (env IMAGEGATE_DATABASE). Default: <data dir>/imagegate.sqlite"
    )
    var database: String?

    @OptionGroup var blobs: BlobStoreOptions

    var resolvedDataDirectory: String { self.dataDirectory ?? EnvironmentVariable.get("DATA_DIR") ?? "./data" }
    var resolvedDatabase: String? { self.database ?? EnvironmentVariable.get("DATABASE") }

    /// Opens the data directory for an operator command; quiet unless something goes wrong.
    func open() async throws -> Environment {
        var logger = Logger(label: "imagegate")
        logger.logLevel = .warning
        return try await Environment.open(
            dataDirectory: self.resolvedDataDirectory,
            databasePath: self.resolvedDatabase,
            blobStore: try self.blobs.location(),
            logger: logger
        )
    }
}

/// Reads `IMAGEGATE_<NAME>` variables, the environment twin of every option.
enum EnvironmentVariable {
    static func get(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment["IMAGEGATE_\(name)"], !value.isEmpty else { return nil }
        return value
    }
}
