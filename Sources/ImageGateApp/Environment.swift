import AsyncHTTPClient
import Blobs
import Catalog
import Foundation
import Logging
import Storage

/// The live state of one data directory: database, blob store and catalog. The CLI's operator commands open it
/// without starting a server.
package struct Environment: Sendable {
    package let database: any Database
    package let blobs: any BlobStore
    package let catalog: ModelCatalog

    /// Opens (creating if needed) the data directory and brings the schema up to date.
    package static func open(
        _ data: DataLocation,
        catalogPath: String? = nil,
        databasePoolSize: Int = 20,
        logger: Logger
    ) async throws -> Environment {
        // The catalog first: a bad one is refused before anything is created or written.
        let catalog = try catalogPath.map(Self.catalog) ?? ModelCatalog.bundled()
        try FileManager.default.createDirectory(atPath: data.directory, withIntermediateDirectories: true)
        let path = data.resolvedDatabasePath
        let database: any Database =
            if PostgresDatabase.isURL(path) {
                try await PostgresDatabase.open(url: path, maxConnections: databasePoolSize, logger: logger)
            } else {
                try await SQLiteDatabase.open(path: path, logger: logger)
            }
        do {
            try await ImageGateSchema.migrations.run(on: database)
        } catch {
            try? await database.close()
            throw error
        }
        let blobs = (data.blobStore ?? .directory("\(data.directory)/blobs")).open()
        return Environment(database: database, blobs: blobs, catalog: catalog)
    }

    /// Opens the database and blob store of a data directory for a command that only reads them (`audit`, `usage`,
    /// listings, `backup`): nothing is created and nothing migrated. A missing SQLite file is an error naming its
    /// path, and so is a database without ImageGate's schema or at another version of it.
    package static func openExisting(_ data: DataLocation, logger: Logger) async throws -> Environment {
        let path = data.resolvedDatabasePath
        let database: any Database
        let place: String
        if PostgresDatabase.isURL(path) {
            database = try await PostgresDatabase.open(url: path, maxConnections: 4, logger: logger)
            place = "the PostgreSQL database of --database"
        } else {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError(description: "no database at \(path): check --data-dir (or --database); this command creates none")
            }
            database = try await SQLiteDatabase.open(path: path, logger: logger)
            place = "the database at \(path)"
        }
        do {
            try await SchemaCheck.requireCurrent(on: database, latest: ImageGateSchema.migrations.latestVersion, place: place)
        } catch {
            try? await database.close()
            throw error
        }
        let blobs = (data.blobStore ?? .directory("\(data.directory)/blobs")).open()
        return Environment(database: database, blobs: blobs, catalog: try ModelCatalog.bundled())
    }

    /// The catalog file at `path`, or an error that names the file and what is wrong in it.
    static func catalog(_ path: String) throws -> ModelCatalog {
        do {
            return try ModelCatalog.load(path: path)
        } catch let error as DecodingError {
            throw ConfigurationError(description: "--catalog \(path): \(CatalogErrorText(error))")
        } catch let error as CatalogError {
            throw ConfigurationError(description: "--catalog \(path): \(error)")
        } catch {
            throw ConfigurationError(description: "--catalog \(path): \(error.localizedDescription)")
        }
    }
}

/// A catalog's decoding error as a person reads it: where in the file, and what.
struct CatalogErrorText: CustomStringConvertible {
    let error: DecodingError

    init(_ error: DecodingError) { self.error = error }

    var description: String {
        func place(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the file" : path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        }
        switch self.error {
        case .keyNotFound(let key, let context): return "\(place(context.codingPath + [key])) is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context): return "\(place(context.codingPath)): \(context.debugDescription)"
        case .dataCorrupted(let context): return "\(place(context.codingPath)): \(context.debugDescription)"
        @unknown default: return "\(self.error)"
        }
    }
}
