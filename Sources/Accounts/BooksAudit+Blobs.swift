import Blobs

extension BooksAudit {
    /// Every output still served (charged, not expired, not deleted) has its blob in the store: a missing one is an
    /// image its owner paid for and cannot download. One `info` request per output (a HEAD on S3), so only on demand.
    static func checkBlobs(_ outputs: [Output], in store: any BlobStore, findings: inout Findings) async throws {
        for output in outputs where try await store.info(key: output.blobKey) == nil {
            findings.add(.missingBlob, "output \(output.id)", "the blob \(output.blobKey) of generation \(output.generationID) is not in the store")
        }
    }
}
