import Crypto
import Essentials

/// The random secrets of this module — session cookies, mailed links, invite codes — and the digest they are stored
/// under: 256 random bits as hex; only the SHA-256 reaches the database.
package enum SecretToken {
    package static func make() -> String { Hex.random(bytes: 32) }

    package static func digest(_ token: String) -> String { Hex.string(SHA256.hash(data: Array(token.utf8))) }
}
