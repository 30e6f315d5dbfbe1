import Essentials
import SQLKit
import Storage

/// A stored output as the download route needs it.
package struct OutputRecord: Sendable, Equatable {
    package let id: String
    package let generationID: String
    package let blobKey: String
    package let contentType: String
    package let byteCount: Int64
    /// A strong validator of its bytes (see `etag(outputID:)`).
    package let etag: String
    package let expiresAt: Int64
    package let deletedAt: Int64?

    package init(
        id: String,
        generationID: String,
        blobKey: String,
        contentType: String,
        byteCount: Int64,
        etag: String,
        expiresAt: Int64,
        deletedAt: Int64? = nil
    ) {
        self.id = id
        self.generationID = generationID
        self.blobKey = blobKey
        self.contentType = contentType
        self.byteCount = byteCount
        self.etag = etag
        self.expiresAt = expiresAt
        self.deletedAt = deletedAt
    }

    /// The ETag of a new output: its id, quoted. An output's bytes never change under its id (storing an image again,
    /// after a crash, makes a new output with a new id), so the id is a strong validator, without reading the bytes
    /// twice to hash them (that hash was 7.6 % of a generation's CPU).
    package static func etag(outputID: String) -> String { "\"\(outputID)\"" }
}

/// SQL for the `outputs` table: one row per stored image, kept after the file is deleted so an expired link
/// answers 410 rather than 404.
package struct OutputStore: Sendable {
    let database: any Database

    /// Every output's blob key starts with this (then the generation id and the image's index).
    package static let blobKeyPrefix = "outputs/"

    /// The blob key of one image of a generation.
    package static func blobKey(generationID: String, index: Int) -> String { "\(Self.blobKeyPrefix)\(generationID)/\(index)" }

    /// Every thumbnail's blob key starts with this, then the key of its output without `outputs/`: the janitor
    /// deletes a thumbnail with its output, and finds one whose output is gone by its key alone.
    package static let thumbnailKeyPrefix = "thumbnails/"

    /// The blob key of an output's thumbnail.
    package static func thumbnailKey(ofOutput blobKey: String) -> String {
        Self.thumbnailKeyPrefix + blobKey.dropFirst(blobKey.hasPrefix(Self.blobKeyPrefix) ? Self.blobKeyPrefix.count : 0)
    }

    /// The blob key of the output a thumbnail was made from.
    package static func outputKey(ofThumbnail key: String) -> String {
        Self.blobKeyPrefix + key.dropFirst(key.hasPrefix(Self.thumbnailKeyPrefix) ? Self.thumbnailKeyPrefix.count : 0)
    }

    /// Every reference copy's blob key starts with this (then the generation id and the reference's index).
    package static let referenceKeyPrefix = "inputs/"

    /// The blob key of the checked copy of one reference image of a generation.
    static func referenceKey(generationID: String, index: Int) -> String { "\(Self.referenceKeyPrefix)\(generationID)/\(index)" }

    /// Whether some output row not yet deleted by the janitor points at this blob. A file whose row is marked deleted
    /// is a copy that arrived after the janitor's delete (`blobs migrate` beside a live server): an orphan.
    package func isLive(blobKey: String) async throws -> Bool {
        try await self.database.read { sql in
            try await sql.raw("SELECT id FROM outputs WHERE blob_key = \(bind: blobKey) AND deleted_at IS NULL LIMIT 1").first() != nil
        }
    }

    package init(database: any Database) {
        self.database = database
    }

    /// Records a delivered output. `expiresAt` is the generation's own `expires_at`, so the link, the response and the
    /// janitor all count from the same instant.
    func insert(
        _ output: OutputRecord,
        index: Int,
        width: Int,
        height: Int,
        createdAt: Int64,
        expiresAt: Int64,
        on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO outputs (id, generation_id, image_index, blob_key, content_type, width, height, byte_count, etag, created_at, expires_at)
            VALUES (\(bind: output.id), \(bind: output.generationID), \(bind: index), \(bind: output.blobKey), \(bind: output.contentType),
                \(bind: width), \(bind: height), \(bind: output.byteCount), \(bind: output.etag), \(bind: createdAt), \(bind: expiresAt))
            """
        ).run()
    }

    package func get(id: String) async throws -> OutputRecord? {
        guard !id.containsNUL else { return nil }
        return try await self.database.read { sql in
            try await sql.raw("SELECT * FROM outputs WHERE id = \(bind: id)").first().map(Self.record)
        }
    }

    /// Outputs past their expiry whose files still exist, oldest first.
    package func expired(now: Int64, limit: Int) async throws -> [OutputRecord] {
        try await self.database.read { sql in
            try await sql.raw(
                "SELECT * FROM outputs WHERE expires_at <= \(bind: now) AND deleted_at IS NULL ORDER BY expires_at LIMIT \(bind: limit)"
            ).all().map(Self.record)
        }
    }

    package func markDeleted(id: String, at now: Int64) async throws {
        try await self.database.transaction { sql in
            try await sql.raw("UPDATE outputs SET deleted_at = \(bind: now) WHERE id = \(bind: id)").run()
        }
    }

    static func record(_ row: any SQLRow) throws -> OutputRecord {
        OutputRecord(
            id: try row.decode(column: "id", as: String.self),
            generationID: try row.decode(column: "generation_id", as: String.self),
            blobKey: try row.decode(column: "blob_key", as: String.self),
            contentType: try row.decode(column: "content_type", as: String.self),
            byteCount: try row.decode(column: "byte_count", as: Int64.self),
            etag: try row.decode(column: "etag", as: String.self),
            expiresAt: try row.decode(column: "expires_at", as: Int64.self),
            deletedAt: try row.decode(column: "deleted_at", as: Int64?.self)
        )
    }
}
