import Blobs

/// Where one ImageGate's data lives: the data directory, the database and the blob store (the `data` settings).
package struct DataLocation: Sendable {
    package var directory: String
    /// A SQLite file or a `postgres://` URL; nil means `<data dir>/imagegate.sqlite`.
    package var databasePath: String?
    /// Where outputs go; nil means `<data dir>/blobs`.
    package var blobStore: BlobStoreLocation?

    package init(directory: String, databasePath: String? = nil, blobStore: BlobStoreLocation? = nil) {
        self.directory = directory
        self.databasePath = databasePath
        self.blobStore = blobStore
    }

    /// Reads `--data-dir`, `--database` and `--blob-store` with its S3 settings.
    package init(_ settings: SettingsReader) throws {
        self.directory = try settings.required(settings.text, "data-dir")
        self.databasePath = try settings.text("database")
        let store = try settings.required(settings.text, "blob-store")
        self.blobStore = store == "file" ? nil : try Self.blobStore(store, setting: "--blob-store", settings)
    }

    package var resolvedDatabasePath: String { self.databasePath ?? "\(self.directory)/imagegate.sqlite" }

    /// `file:DATA_DIR` (its `blobs/` folder) or `s3://BUCKET` with the S3 settings of `settings`; `setting` names
    /// where the text came from, for errors.
    package static func blobStore(_ store: String, setting: String, _ settings: SettingsReader) throws -> BlobStoreLocation {
        if store.hasPrefix("file:") {
            let directory = String(store.dropFirst("file:".count))
            guard !directory.isEmpty else { throw SettingsError(.invalidValue, "\(setting): file:DATA_DIR") }
            return .directory("\(directory)/blobs")
        }
        guard store.hasPrefix("s3://"), let bucket = store.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first,
            store.dropFirst("s3://".count) == bucket
        else {
            throw SettingsError(.invalidValue, "\(setting): file, file:DATA_DIR or s3://BUCKET")
        }
        guard let accessKeyID = try settings.text("s3-access-key-id"), let secretAccessKey = try settings.text("s3-secret-access-key") else {
            throw SettingsError(
                .conflict,
                "\(setting) s3://…: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or --s3-access-key-id/--s3-secret-access-key)"
            )
        }
        let endpoint = try settings.text("s3-endpoint")
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw SettingsError(.invalidValue, "--s3-endpoint: an http:// or https:// URL")
        }
        let addressing = try settings.text("s3-addressing")
        return .s3(
            S3Configuration(
                bucket: String(bucket),
                endpoint: endpoint,
                region: try settings.required(settings.text, "s3-region"),
                accessKeyID: accessKeyID,
                secretAccessKey: secretAccessKey,
                sessionToken: try settings.text("s3-session-token"),
                pathStyle: addressing.map { $0 == "path" }
            )
        )
    }
}
