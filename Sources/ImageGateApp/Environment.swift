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
        try FileManager.default.createDirectory(atPath: data.directory, withIntermediateDirectories: true)
        let path = data.resolvedDatabasePath
        let database: any Database =
            if PostgresDatabase.isURL(path) {
                try await PostgresDatabase.open(url: path, maxConnections: databasePoolSize, logger: logger)
            } else {
                try await SQLiteDatabase.open(path: path, logger: logger)
            }
        do {
            try await Migrations.run(on: database)
        } catch {
            try? await database.close()
            throw error
        }
        let catalog = try catalogPath.map { try ModelCatalog.load(path: $0) } ?? ModelCatalog.bundled()
        let blobs = (data.blobStore ?? .directory("\(data.directory)/blobs")).open()
        return Environment(database: database, blobs: blobs, catalog: catalog)
    }
}
