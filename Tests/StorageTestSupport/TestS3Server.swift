import Foundation

/// The S3-compatible server a run's S3 suites use: `IMAGEGATE_TEST_S3` holds the URL `scripts/s3 start
/// seaweedfs|moto DIR PORT` prints (`scripts/test` starts each server in turn and sets it); nil skips them.
package enum TestS3Server {
    package static var url: String? {
        guard let url = ProcessInfo.processInfo.environment["IMAGEGATE_TEST_S3"], !url.isEmpty else { return nil }
        return url
    }
}
