import Crypto
import Essentials
import Foundation
import SQLKit
import Storage

/// `Idempotency-Key` bookkeeping: a key names one generation per account for 24 hours.
package struct IdempotencyStore: Sendable {
    /// How long a key is remembered.
    package static let windowMillis: Int64 = 24 * 3600 * 1000
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// What a key already names.
    package struct Entry: Sendable, Equatable {
        package let requestHash: String
        package let generationID: String
    }

    /// The live entry for (account, key), if any.
    package func find(accountID: String, key: String, now: Int64) async throws -> Entry? {
        try await self.database.read { sql in try await Self.entry(accountID: accountID, key: key, now: now, on: sql) }
    }

    /// The live entry for (account, key), read inside the caller's transaction.
    static func entry(accountID: String, key: String, now: Int64, on sql: any SQLDatabase) async throws -> Entry? {
        try await sql.raw(
            """
            SELECT request_hash, generation_id FROM idempotency_keys
            WHERE account_id = \(bind: accountID) AND idempotency_key = \(bind: key) AND created_at > \(bind: now - Self.windowMillis)
            """
        ).first().map {
            Entry(
                requestHash: try $0.decode(column: "request_hash", as: String.self),
                generationID: try $0.decode(column: "generation_id", as: String.self)
            )
        }
    }

    /// Claims the key for a new generation inside the submit transaction. A stale entry is replaced; a live one
    /// makes the insert fail on the primary key, which rolls the whole submit (and its hold) back.
    static func claim(accountID: String, key: String, requestHash: String, generationID: String, now: Int64, on sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            DELETE FROM idempotency_keys
            WHERE account_id = \(bind: accountID) AND idempotency_key = \(bind: key) AND created_at <= \(bind: now - Self.windowMillis)
            """
        ).run()
        try await sql.raw(
            """
            INSERT INTO idempotency_keys (account_id, idempotency_key, request_hash, generation_id, created_at)
            VALUES (\(bind: accountID), \(bind: key), \(bind: requestHash), \(bind: generationID), \(bind: now))
            """
        ).run()
    }

    /// A fingerprint of what the request asks for (the validated parameters, so whitespace and key order in the
    /// JSON do not matter, but every value does).
    package static func fingerprint(_ parameters: GenerateParameters) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(parameters)) ?? Data()
        return Hex.string(SHA256.hash(data: data))
    }
}
