import Foundation

/// Standard base64 with padding, for encoded-words and AUTH PLAIN.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
