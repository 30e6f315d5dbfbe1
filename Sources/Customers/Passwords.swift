import HummingbirdBcrypt
import NIOPosix

/// Password storage: bcrypt (cost 12) from hummingbird-auth, run on NIO's thread pool, because one hash takes a
/// quarter of a second of CPU and must not stall an event loop.
package struct Passwords: Sendable {
    /// bcrypt's work factor: 2^cost rounds. Tests lower it; the server keeps the default.
    let cost: UInt8

    package init(cost: UInt8 = 12) {
        self.cost = cost
    }

    /// At least 10 characters; at most 72 bytes, because bcrypt ignores every byte after the 72nd (a longer
    /// password would silently be a shorter one).
    package static func check(_ password: String) throws {
        guard password.count >= 10 else {
            throw CustomerError(.invalid, field: "password", "The password must be at least 10 characters long.")
        }
        // bcrypt reads a C string: everything after a NUL would be silently ignored.
        guard !password.utf8.contains(0) else {
            throw CustomerError(.invalid, field: "password", "The password must not contain NUL characters.")
        }
        guard password.utf8.count <= 72 else {
            throw CustomerError(.invalid, field: "password", "The password must be at most 72 bytes long (bcrypt's limit).")
        }
    }

    package func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { [cost = self.cost] in Bcrypt.hash(password, cost: cost) }
    }

    package func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// Spends the time of one verification without a stored hash (hashing costs what verifying does): an unknown
    /// email then takes as long to refuse as a wrong password, so the delay tells nobody which emails exist.
    package func spendOneVerification(_ password: String) async throws {
        _ = try await self.hash(password)
    }
}
