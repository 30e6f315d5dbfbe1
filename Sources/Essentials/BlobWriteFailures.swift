import Metrics

/// `imagegate_blob_write_failures_total{store}`: blob writes that failed, for the "store refusing writes" alert.
/// Counted where the stores write (`FileBlobStore`, `S3BlobStore`), which cannot tell a refusal of the store from a
/// failure of the bytes being streamed into it (an upstream download cut short): both end a write unkept.
package enum BlobWriteFailures {
    package static func record(store: String) {
        Counter(label: "imagegate_blob_write_failures_total", dimensions: [("store", store)]).increment()
    }
}
