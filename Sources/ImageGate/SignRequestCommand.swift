import ArgumentParser
import Blobs
import Foundation

/// `imagegate s3-sign` (hidden): signs request descriptions read as JSON on stdin with ImageGate's SigV4 signer and
/// prints the result as JSON, so an independent signer (botocore, in `e2e/test_sigv4_oracle.py`) can be compared
/// with it on many requests at once. Not for operators: it takes secrets on stdin and has no other use.
///
/// Input: one object or an array of them:
/// `{"method", "url", "headers": [[name, value]…], "body_hex"?, "payload_hash"?, "region", "service", "access_key",
/// "secret_key", "session_token"?, "date": "yyyyMMddTHHmmssZ", "presign_expires"?}`. With `presign_expires` the
/// request is presigned (S3: `UNSIGNED-PAYLOAD` unless `payload_hash` says otherwise), else signed in its headers
/// (S3: `X-Amz-Content-SHA256` sent too). Output: the same shape, each
/// `{"headers": [[name, value]…] (set by signing), "authorization"?, "url"?, "canonical_request", "string_to_sign",
/// "signature"}`.
struct SignRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "s3-sign",
        abstract: "Sign requests described in JSON on stdin with ImageGate's AWS SigV4 signer (for tests).",
        shouldDisplay: false
    )

    struct Input: Decodable {
        let method: String
        let url: String
        let headers: [[String]]?
        let bodyHex: String?
        let payloadHash: String?
        let region: String
        let service: String
        let accessKey: String
        let secretKey: String
        let sessionToken: String?
        let date: String
        let presignExpires: Int?
    }

    struct Output: Encodable {
        let headers: [[String]]
        let authorization: String?
        let url: String?
        let canonicalRequest: String
        let stringToSign: String
        let signature: String
    }

    func run() async throws {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let output: Data
        if text.hasPrefix("[") {
            output = try encoder.encode(try decoder.decode([Input].self, from: data).map(Self.sign))
        } else {
            output = try encoder.encode(try Self.sign(try decoder.decode(Input.self, from: data)))
        }
        FileHandle.standardOutput.write(output + Data("\n".utf8))
    }

    static func sign(_ input: Input) throws -> Output {
        guard let date = SigV4Signer.date(fromTimestamp: input.date) else {
            throw ValidationError("date: expected yyyyMMddTHHmmssZ, got \(input.date)")
        }
        let headers = try (input.headers ?? []).map { pair in
            guard pair.count == 2 else { throw ValidationError("headers: each is [name, value]") }
            return (name: pair[0], value: pair[1])
        }
        let request = try SigV4Signer.Request(method: input.method, url: input.url, headers: headers)
        let signer = SigV4Signer(
            credentials: .init(accessKeyID: input.accessKey, secretAccessKey: input.secretKey, sessionToken: input.sessionToken),
            region: input.region,
            service: input.service
        )
        let isS3 = input.service == "s3"
        let bodyHash = SigV4Signer.sha256Hex(try Self.bytes(hex: input.bodyHex ?? ""))
        if let expires = input.presignExpires {
            let presigned = signer.presign(
                request,
                expires: expires,
                date: date,
                payloadHash: input.payloadHash ?? (isS3 ? SigV4Signer.unsignedPayload : bodyHash)
            )
            return Output(
                headers: [],
                authorization: nil,
                url: presigned.url,
                canonicalRequest: presigned.details.canonicalRequest,
                stringToSign: presigned.details.stringToSign,
                signature: presigned.details.signature
            )
        }
        let signed = signer.signHeaders(request, payloadHash: input.payloadHash ?? bodyHash, sendsPayloadHash: isS3, date: date)
        return Output(
            headers: signed.headers.map { [$0.name, $0.value] },
            authorization: signed.authorization,
            url: nil,
            canonicalRequest: signed.details.canonicalRequest,
            stringToSign: signed.details.stringToSign,
            signature: signed.details.signature
        )
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2) else { throw ValidationError("body_hex: odd length") }
        return try stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                throw ValidationError("body_hex: not hex")
            }
            return byte
        }
    }
}
