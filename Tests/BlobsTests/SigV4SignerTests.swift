import Foundation
import Testing

@testable import Blobs

/// The signer's rules that AWS's suite does not reach: S3's path handling, presigning for S3, the date stamp.
@Suite struct SigV4SignerTests {
    static let credentials = SigV4Signer.Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    @Test func s3SignsThePathAsSentAndOtherServicesNormalizeAndEncodeIt() {
        let s3 = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        let other = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        #expect(s3.pathRules == .s3)
        #expect(other.pathRules == .standard)
        // An object named `a//b/../c d` is that object on S3.
        #expect(s3.canonicalURI("/bucket/a//b/../c%20d") == "/bucket/a//b/../c%20d")
        #expect(other.canonicalURI("/bucket/a//b/../c%20d") == "/bucket/a/c%2520d")
        #expect(s3.canonicalURI("") == "/")
        #expect(other.canonicalURI("/a/./b/") == "/a/b/")
        #expect(other.canonicalURI("/..") == "/")
    }

    @Test func queryPairsAreDecodedThenEncodedByAWSRules() {
        let pairs = SigV4Signer.pairs("b=%7e&a=x+y&a=%2B&empty&=v&c=%zz")
        #expect(
            SigV4Signer.canonicalQuery(pairs) == "=v&a=%2B&a=x%2By&b=~&c=%25zz&empty="
        )
        #expect(SigV4Signer.encode("a b/ü~") == "a%20b%2F%C3%BC~")
        #expect(SigV4Signer.encode("a b/ü~", keepingSlashes: true) == "a%20b/%C3%BC~")
    }

    @Test func headerValuesAreTrimmedAndRepeatedNamesJoined() {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        let canonical = signer.canonicalHeaders([("X-B", "  one   two "), ("x-a", ""), ("x-b", "\tthree")])
        #expect(canonical.block == "x-a:\nx-b:one two,three")
        #expect(canonical.names == "x-a;x-b")
    }

    /// S3's own published example of a presigned URL (AWS's S3 API reference, "Authenticating Requests: Using Query
    /// Parameters"): GET /test.txt from examplebucket, 2013-05-24, 86400 s.
    @Test func presignsS3sPublishedExample() throws {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        var credentials = Self.credentials
        credentials.accessKeyID = "AKIAIOSFODNN7EXAMPLE"
        credentials.secretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
        let example = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let request = try SigV4Signer.Request(method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt")
        let date = try #require(SigV4Signer.date(fromTimestamp: "20130524T000000Z"))
        let presigned = example.presign(request, expires: 86_400, date: date)
        #expect(presigned.details.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(presigned.url?.hasPrefix("https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&") == true)
        // Not the same signer's answer for other keys.
        #expect(signer.presign(request, expires: 86_400, date: date).details.signature != presigned.details.signature)
    }

    /// S3's published example of a header-signed GET with a Range header (same reference, "Signature Calculations
    /// for the Authorization Header: Example: GET Object").
    @Test func signsS3sPublishedGetExample() throws {
        let credentials = SigV4Signer.Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let request = try SigV4Signer.Request(
            method: "GET",
            url: "https://examplebucket.s3.amazonaws.com/test.txt",
            headers: [("Range", "bytes=0-9")]
        )
        let date = try #require(SigV4Signer.date(fromTimestamp: "20130524T000000Z"))
        let signed = signer.signHeaders(request, payloadHash: SigV4Signer.emptyPayloadHash, sendsPayloadHash: true, date: date)
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test func theHostHeaderComesFromTheURLWithoutADefaultPort() throws {
        #expect(try SigV4Signer.Request(method: "GET", url: "https://Example.COM:443/x").hostFromOrigin == "example.com")
        #expect(try SigV4Signer.Request(method: "GET", url: "http://u:p@127.0.0.1:8333/x").hostFromOrigin == "127.0.0.1:8333")
        #expect(try SigV4Signer.Request(method: "GET", url: "http://[::1]:80/").hostFromOrigin == "[::1]")
        #expect(throws: SigV4Error.invalidURL("nope")) { try SigV4Signer.Request(method: "GET", url: "nope") }
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (1_440_938_160, "20150830T123600Z"), (951_782_400, "20000229T000000Z"), (4_107_542_399, "21000228T235959Z"),
        (-1, "19691231T235959Z"),
    ])
    func stampsDatesInUTC(_ seconds: Double, _ stamp: String) {
        #expect(SigV4Signer.timestamp(Date(timeIntervalSince1970: seconds)) == stamp)
        #expect(SigV4Signer.date(fromTimestamp: stamp) == Date(timeIntervalSince1970: seconds))
    }

    @Test func refusesMalformedStamps() {
        for stamp in ["", "20150830T123600", "20151330T123600Z", "2015-08-30T12:36:00Z"] {
            #expect(SigV4Signer.date(fromTimestamp: stamp) == nil, "\(stamp)")
        }
    }

    @Test func aSessionTokenIsSignedInTheHeadersAndInTheQuery() throws {
        var credentials = Self.credentials
        credentials.sessionToken = "token/+="
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "s3")
        let request = try SigV4Signer.Request(method: "GET", url: "http://127.0.0.1:9000/b/k")
        let date = Date(timeIntervalSince1970: 1_700_000_000)
        let signed = signer.signHeaders(request, payloadHash: SigV4Signer.emptyPayloadHash, sendsPayloadHash: true, date: date)
        #expect(signed.details.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect(signed.headers.contains { $0.name == "X-Amz-Security-Token" && $0.value == "token/+=" })
        let presigned = signer.presign(request, expires: 60, date: date)
        #expect(presigned.query.contains("X-Amz-Security-Token=token%2F%2B%3D&X-Amz-Signature="))
        #expect(presigned.details.canonicalRequest.contains("X-Amz-Security-Token=token%2F%2B%3D"))
    }
}
