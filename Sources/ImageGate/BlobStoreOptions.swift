import ArgumentParser
import Blobs
import Foundation
import ImageGateApp

/// `--blob-store` and the S3 settings, shared by every command that opens the data directory.
struct BlobStoreOptions: ParsableArguments {
    @Option(
        name: .customLong("blob-store"),
        help: "Where outputs are kept: file (<data dir>/blobs) or s3://BUCKET (env IMAGEGATE_BLOB_STORE). Default: file"
    )
    var blobStore: String?

    @Option(name: .customLong("s3-endpoint"), help: "S3 server URL, e.g. http://127.0.0.1:8333 (env IMAGEGATE_S3_ENDPOINT). Default: AWS")
    var endpoint: String?

    @Option(name: .customLong("s3-region"), help: "S3 region (env IMAGEGATE_S3_REGION or AWS_REGION). Default: us-east-1")
    var region: String?

    @Option(name: .customLong("s3-access-key-id"), help: "S3 access key id (env AWS_ACCESS_KEY_ID).")
    var accessKeyID: String?

    @Option(
        name: .customLong("s3-secret-access-key"),
        help: "S3 secret key (env AWS_SECRET_ACCESS_KEY, better: the command line is visible to every user of the machine)."
    )
    var secretAccessKey: String?

    @Option(
        name: .customLong("s3-addressing"),
        help:
            "path (endpoint/bucket/key) or virtual-host (bucket.endpoint/key) (env IMAGEGATE_S3_ADDRESSING). Default: path with --s3-endpoint, virtual-host on AWS"
    )
    var addressing: String?

    /// The store these options name; nil for the default directory.
    func location() throws -> BlobStoreLocation? {
        let store = self.blobStore ?? EnvironmentVariable.get("BLOB_STORE") ?? "file"
        if store == "file" { return nil }
        return try self.location(of: store, option: "--blob-store")
    }

    /// `file:DATA_DIR` (its `blobs/` folder) or `s3://BUCKET` with these options' S3 settings.
    func location(of store: String, option: String) throws -> BlobStoreLocation {
        let environment = ProcessInfo.processInfo.environment
        if store.hasPrefix("file:") {
            let directory = String(store.dropFirst("file:".count))
            guard !directory.isEmpty else { throw ValidationError("\(option): file:DATA_DIR") }
            return .directory("\(directory)/blobs")
        }
        guard store.hasPrefix("s3://"), let bucket = store.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first,
            store.dropFirst("s3://".count) == bucket
        else {
            throw ValidationError("\(option): file, file:DATA_DIR or s3://BUCKET")
        }
        guard let accessKeyID = self.accessKeyID ?? environment["AWS_ACCESS_KEY_ID"],
            let secretAccessKey = self.secretAccessKey ?? environment["AWS_SECRET_ACCESS_KEY"]
        else {
            throw ValidationError(
                "--blob-store s3://…: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or --s3-access-key-id/--s3-secret-access-key)"
            )
        }
        let endpoint = self.endpoint ?? EnvironmentVariable.get("S3_ENDPOINT")
        if let endpoint, !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw ValidationError("--s3-endpoint: an http:// or https:// URL")
        }
        var pathStyle: Bool?
        switch self.addressing ?? EnvironmentVariable.get("S3_ADDRESSING") {
        case nil: pathStyle = nil
        case "path": pathStyle = true
        case "virtual-host": pathStyle = false
        default: throw ValidationError("--s3-addressing: path or virtual-host")
        }
        return .s3(
            S3Configuration(
                bucket: String(bucket),
                endpoint: endpoint,
                region: self.region ?? EnvironmentVariable.get("S3_REGION") ?? environment["AWS_REGION"] ?? "us-east-1",
                accessKeyID: accessKeyID,
                secretAccessKey: secretAccessKey,
                sessionToken: environment["AWS_SESSION_TOKEN"],
                pathStyle: pathStyle
            )
        )
    }
}
