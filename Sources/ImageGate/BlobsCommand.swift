import ArgumentParser
import Blobs
import Crypto
import Essentials
import Foundation
import Generation
import ImageGateApp

/// `imagegate blobs …`: the blob store itself.
struct BlobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blobs",
        abstract: "Work on the blob store (outputs and reference copies).",
        subcommands: [BlobsMigrateCommand.self]
    )
}

/// `imagegate blobs migrate --from file:./data --to s3://bucket`: copies every output and reference copy from one
/// store to another, so an installation can move to object storage without breaking a customer's link.
///
/// Keys stay the same, so the database needs no change: once the copy is done, restart with the new
/// `--blob-store` and every link issued before still works. Resumable: a blob already at the destination with the
/// same size is skipped, so running it again after an interruption copies only what is missing (run it once more
/// after stopping the servers, to catch what they wrote meanwhile). Each copy is checked: the size written, the size
/// the destination reports, and, where the destination tags objects with their MD5 (S3 single-part uploads), that too.
/// A copy in parts has no such tag (S3's is the MD5 of the parts' MD5s); each part went with its SHA-256 in its
/// signature (`X-Amz-Content-SHA256`), which S3 checks against the bytes it received before it keeps them.
struct BlobsMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Copy every blob from one store to another.")

    @Option(help: "The store to copy from: file:DATA_DIR or s3://BUCKET.") var from: String
    @Option(help: "The store to copy to: file:DATA_DIR or s3://BUCKET.") var to: String
    @OptionGroup var settings: SettingsArguments

    func run() async throws {
        let settings = try await self.settings.read(ConfigSettings.data)
        let source = try DataLocation.blobStore(self.from, setting: "--from", settings).open()
        let destination = try DataLocation.blobStore(self.to, setting: "--to", settings).open()
        let tally = try await Self.copyAll(from: source, to: destination)
        print(tally)
        if tally.failed > 0 { throw ExitCode(1) }
    }

    /// What a copy of every blob did.
    struct Tally: CustomStringConvertible {
        var copied = 0
        var bytes = Int64(0)
        var skipped = 0
        var failed = 0

        var description: String {
            "copied \(self.copied) blobs (\(self.bytes) bytes), skipped \(self.skipped) already there, \(self.failed) failed"
        }
    }

    /// Copies every output and reference copy of `source` to `destination` (also `backup` and `restore`); each
    /// failure is named on stderr and counted, and the others go on.
    static func copyAll(from source: any BlobStore, to destination: any BlobStore) async throws -> Tally {
        var tally = Tally()
        for prefix in [OutputStore.blobKeyPrefix, OutputStore.referenceKeyPrefix] {
            for key in try await source.keys(under: prefix) {
                do {
                    switch try await Self.copy(key, from: source, to: destination) {
                    case .copied(let bytes):
                        tally.copied += 1
                        tally.bytes += bytes
                    case .alreadyThere, .gone:
                        tally.skipped += 1
                    }
                } catch {
                    tally.failed += 1
                    FileHandle.standardError.write(Data("\(key): \(error)\n".utf8))
                }
            }
        }
        return tally
    }

    /// What became of one key.
    enum Outcome: Equatable {
        case copied(Int64)
        case alreadyThere
        /// Deleted at the source since it was listed (the janitor): nothing to copy.
        case gone
    }

    /// A blob copied and checked, streamed chunk by chunk.
    static func copy(_ key: String, from source: any BlobStore, to destination: any BlobStore) async throws -> Outcome {
        guard let original = try await source.info(key: key) else { return .gone }
        if let existing = try await destination.info(key: key), existing.size == original.size { return .alreadyThere }
        let download: BlobDownload
        do {
            download = try await BlobDownload.open(key, from: source)
        } catch BlobError.notFound {
            return .gone
        }
        defer { download.close() }
        let hashing = HashingChunks(download, hash: Insecure.MD5.self)
        let written = try await destination.put(key: key, chunks: hashing)
        let md5 = Hex.string(hashing.digest())
        guard let copy = try await destination.info(key: key), written == original.size, copy.size == original.size else {
            throw MigrationError(message: "size differs after the copy (source \(original.size) bytes, written \(written))")
        }
        if let etag = copy.etag, !etag.contains("-"), etag != md5 {
            throw MigrationError(message: "the destination's ETag \(etag) is not the MD5 of what was read (\(md5))")
        }
        return .copied(written)
    }
}

/// A copy that did not check out.
struct MigrationError: Error, CustomStringConvertible {
    let message: String
    var description: String { self.message }
}
