import ArgumentParser
import Blobs
import Foundation
import ImageGateApp
import Logging
import Storage

/// `imagegate backup DIR`: a consistent copy of a running server's SQLite database and of its blobs on local disk.
///
/// The database is copied first, as of one commit (`SQLiteDatabase.backup`), then the blobs: an output is written
/// to the store before its row commits, so every output the copied database names was already in the store. Blobs
/// that arrive later are extra files the janitor removes after a restore. A PostgreSQL database and an S3 store are
/// backed up with their own tools (docs/deploy.md, "Backups").
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite database (a consistent snapshot, safe while the server runs) and local blobs into DIR.",
        discussion: "DIR must not exist or be empty. Restore with 'imagegate restore DIR --data-dir NEW_DIR'."
    )

    @Argument(help: "Where the backup goes (a new or empty directory).") var directory: String
    @OptionGroup var data: DataOptions

    func run() async throws {
        let location = try await self.data.location()
        guard !PostgresDatabase.isURL(location.resolvedDatabasePath) else {
            throw ValidationError("--database is PostgreSQL: back it up with pg_dump or pg_basebackup (docs/deploy.md, Backups)")
        }
        let environment = try await self.data.open(existing: true)
        let version: Int
        do {
            try BackupFolder.createEmpty(self.directory, role: "the backup directory")
            guard let sqlite = environment.database as? SQLiteDatabase else { throw BackupError(message: "not a SQLite database") }
            try await sqlite.backup(into: BackupFolder.databasePath(self.directory), latestVersion: ImageGateSchema.migrations.latestVersion)
            version = try await SchemaCheck.appliedVersion(on: environment.database) ?? 0
            try await environment.database.close()
        } catch {
            try? await environment.database.close()
            throw error
        }
        print("database copied to \(BackupFolder.databasePath(self.directory))")
        var blobs: BlobsMigrateCommand.Tally?
        switch location.blobStore {
        case nil, .directory:
            let tally = try await BlobsMigrateCommand.copyAll(
                from: environment.blobs,
                to: FileBlobStore(root: BackupFolder.blobsPath(self.directory))
            )
            print("blobs: \(tally)")
            if tally.failed > 0 { throw ExitCode(1) }
            blobs = tally
        case .s3:
            print("blobs: the S3 bucket is not copied; keep it with S3 versioning or replication (docs/deploy.md, Backups)")
        }
        try BackupFolder.Manifest(
            imagegateVersion: ImageGateVersion.current,
            schemaVersion: version,
            createdAt: Date().formatted(.iso8601),
            blobs: blobs?.copied
        ).write(to: self.directory)
        print("backup complete in \(self.directory)")
    }
}

/// `imagegate restore DIR`: fills an empty data directory from a backup made by `imagegate backup`.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Fill an empty data directory (--data-dir) from a backup made by 'imagegate backup'.",
        discussion: """
            Refuses a data directory that is not empty, so it never overwrites live books. The blobs go into the \
            configured --blob-store. Then start the server and run 'imagegate audit --blobs'.
            """
    )

    @Argument(help: "A directory written by 'imagegate backup'.") var backup: String
    @OptionGroup var data: DataOptions

    func run() async throws {
        let manifest = try BackupFolder.Manifest.read(from: self.backup)
        let location = try await self.data.location()
        let target = location.resolvedDatabasePath
        guard !PostgresDatabase.isURL(target) else {
            throw ValidationError("--database is PostgreSQL: restore it with pg_restore (docs/deploy.md, Backups)")
        }
        try BackupFolder.createEmpty(location.directory, role: "the data directory")
        guard !FileManager.default.fileExists(atPath: target) else { throw ValidationError("\(target) exists: restore into a new database") }
        var logger = Logger(label: "imagegate")
        logger.logLevel = .warning
        let source = BackupFolder.databasePath(self.backup)
        try await SQLiteDatabase.check(copy: source, latestVersion: ImageGateSchema.migrations.latestVersion, logger: logger)
        // Owner-only from the start: the file holds the output-link secret.
        guard FileManager.default.createFile(atPath: target, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw BackupError(message: "cannot create \(target)")
        }
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: source))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: target))
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
        try output.synchronize()
        try output.close()
        try input.close()
        print("database restored to \(target) (schema \(manifest.schemaVersion), backed up by \(manifest.imagegateVersion) at \(manifest.createdAt))")
        if FileManager.default.fileExists(atPath: BackupFolder.blobsPath(self.backup)) {
            let store = (location.blobStore ?? .directory("\(location.directory)/blobs")).open()
            let tally = try await BlobsMigrateCommand.copyAll(from: FileBlobStore(root: BackupFolder.blobsPath(self.backup)), to: store)
            print("blobs: \(tally)")
            if tally.failed > 0 { throw ExitCode(1) }
        } else {
            print("blobs: none in the backup (the outputs stay in their S3 bucket)")
        }
        print("restore complete: start the server on it, then run 'imagegate audit --blobs'")
    }
}

/// The layout of a backup directory: `imagegate.sqlite`, `blobs/` and `imagegate-backup.json` (what made it). It is
/// laid out as a data directory, so a server can also start on a copy of it.
enum BackupFolder {
    static func databasePath(_ directory: String) -> String { "\(directory)/imagegate.sqlite" }
    static func blobsPath(_ directory: String) -> String { "\(directory)/blobs" }
    static func manifestPath(_ directory: String) -> String { "\(directory)/imagegate-backup.json" }

    /// Creates `directory` owner-only, or accepts an existing empty one; anything in it is refused.
    static func createEmpty(_ directory: String, role: String) throws {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        if files.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue, try files.contentsOfDirectory(atPath: directory).isEmpty else {
                throw ValidationError("\(role) \(directory) is not empty: give a new or empty directory")
            }
        } else {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }

    /// What made a backup; its presence is what tells `restore` the directory is one.
    struct Manifest: Codable {
        let imagegateVersion: String
        let schemaVersion: Int
        let createdAt: String
        /// Blobs copied; nil when the store was S3 and none were.
        let blobs: Int?

        func write(to directory: String) throws {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(self).write(to: URL(fileURLWithPath: BackupFolder.manifestPath(directory)))
        }

        static func read(from directory: String) throws -> Manifest {
            let path = BackupFolder.manifestPath(directory)
            guard let bytes = FileManager.default.contents(atPath: path) else {
                throw ValidationError("\(directory) is not a backup made by 'imagegate backup' (no \(path))")
            }
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(Manifest.self, from: bytes)
        }
    }
}
