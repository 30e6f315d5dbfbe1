import Foundation

/// The store answered, and refused: wrong keys or signature (`SignatureDoesNotMatch`, `InvalidAccessKeyId`), no
/// such bucket, no permission… These need the operator, not a retry; a store that cannot be reached or is failing
/// (5xx) is `BlobError.unavailable` instead.
package struct S3Error: Error, Sendable, Equatable, CustomStringConvertible {
    /// The S3 operation that was refused (`PutObject`, `ListObjectsV2`, …).
    package let operation: String
    /// The HTTP status.
    package let status: Int
    /// S3's error code from the XML body (`AccessDenied`, `NoSuchBucket`, …), or `HTTP <status>` when the body had
    /// none (a HEAD answer has no body).
    package let code: String
    /// S3's message, if it sent one.
    package let message: String

    package init(operation: String, status: Int, code: String, message: String) {
        self.operation = operation
        self.status = status
        self.code = code
        self.message = message
    }

    /// The error an S3 answer describes: `<Error><Code>…</Code><Message>…</Message></Error>`.
    init(operation: String, status: Int, body: [UInt8]) {
        let xml = S3XML(body)
        self.init(
            operation: operation,
            status: status,
            code: xml.first("Code") ?? Self.codeForStatus(status),
            message: xml.first("Message") ?? ""
        )
    }

    /// What a body-less answer (HEAD) means, in S3's words.
    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        default: "HTTP \(status)"
        }
    }

    package var description: String {
        "S3 \(self.operation) refused: \(self.status) \(self.code)" + (self.message.isEmpty ? "" : ": \(self.message)")
    }
}

/// Just enough XML for S3's answers, which are flat and machine-written: the text of elements by name. No
/// attributes, namespaces or nesting are needed (`Key` appears only inside `Contents`, `UploadId` once…).
struct S3XML {
    let text: String

    init(_ bytes: [UInt8]) { self.text = String(decoding: bytes, as: UTF8.self) }

    /// The decoded text of every `<name>…</name>` element, in order (`<name/>` counts as empty).
    func all(_ name: String) -> [String] {
        var found: [String] = []
        var rest = self.text[...]
        let open = "<\(name)>"
        let close = "</\(name)>"
        while let start = rest.range(of: open) ?? rest.range(of: "<\(name)/>") {
            if rest[start].hasSuffix("/>") {
                found.append("")
                rest = rest[start.upperBound...]
                continue
            }
            guard let end = rest[start.upperBound...].range(of: close) else { break }
            found.append(Self.unescape(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return found
    }

    func first(_ name: String) -> String? { self.all(name).first }

    /// The five predefined entities and numeric references.
    static func unescape(_ text: Substring) -> String {
        guard text.contains("&") else { return String(text) }
        var out = ""
        var rest = text
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let scalar =
                    entity.hasPrefix("#x")
                    ? UInt32(entity.dropFirst(2), radix: 16) : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                if let scalar, let character = Unicode.Scalar(scalar) { out.unicodeScalars.append(character) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }

    /// Text escaped for an element's content.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
