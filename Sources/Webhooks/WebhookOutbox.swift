import Foundation
import SQLKit
import Storage

/// A generation's webhook: its event, where it goes, and how its delivery stands.
package struct WebhookDelivery: Sendable, Equatable {
    /// Where a delivery stands.
    package enum State: String, Sendable {
        /// Waiting for its next attempt (or in one).
        case pending
        /// A receiver answered 2xx in time.
        case delivered
        /// Every attempt failed for as long as deliveries are retried; `redeliver` sends it again.
        case failed
    }

    /// The `webhook-id` of every attempt: the receiver's key for ignoring a repeat.
    package let id: String
    package let generationID: String
    package let accountID: String
    /// `generation.completed`, `generation.failed` or `generation.cancelled`.
    package let event: String
    package let url: String
    package var state: State
    package var attempts: Int
    package var nextAttemptAt: Int64?
    /// Since when it has been retried: its creation, or the last `redeliver`.
    package var pendingSince: Int64
    package var deliveredAt: Int64?
    package let createdAt: Int64
    /// Every attempt, oldest first (filled only where it is shown).
    package var history: [WebhookAttempt] = []
}

/// One attempt to deliver a webhook.
package struct WebhookAttempt: Sendable, Equatable {
    package let number: Int
    package let at: Int64
    /// The receiver's HTTP status; nil when no answer came (timeout, refused connection, forbidden address).
    package let statusCode: Int?
    package let error: String?
    package let durationMillis: Int64
}

/// SQL for the webhook outbox (`webhook_deliveries`, `webhook_attempts`). One code path for every dialect.
package struct WebhookOutbox: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// Writes the webhook of a generation that just ended (`event`, e.g. `generation.completed`), in the transaction
    /// that ends it: the event then exists exactly when the settlement does.
    package static func enqueue(
        generationID: String,
        accountID: String,
        event: String,
        url: String,
        now: Int64,
        on sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO webhook_deliveries (id, generation_id, account_id, event, url, state, attempts, next_attempt_at, pending_since, created_at)
            VALUES (\(bind: Identifier.make("msg", millis: now)), \(bind: generationID), \(bind: accountID), \(bind: event), \(bind: url),
                'pending', 0, \(bind: now), \(bind: now), \(bind: now))
            """
        ).run()
    }

    /// Ids of pending deliveries whose attempt is due and that no sender holds, oldest due first.
    func due(now: Int64, limit: Int) async throws -> [String] {
        try await self.database.read { sql in
            try await sql.raw(
                """
                SELECT id FROM webhook_deliveries
                WHERE state = 'pending' AND next_attempt_at <= \(bind: now) AND (lease_until IS NULL OR lease_until < \(bind: now))
                ORDER BY next_attempt_at LIMIT \(bind: limit)
                """
            ).all().map { try $0.decode(column: "id", as: String.self) }
        }
    }

    /// Takes a due delivery for one attempt under a lease held by `owner`; nil when another sender took it first.
    /// A sender that dies mid-attempt loses the lease, and the delivery is attempted again after it.
    func claim(id: String, owner: String, now: Int64, leaseMillis: Int64) async throws -> WebhookDelivery? {
        try await self.database.transaction(priority: .urgent) { sql in
            try await sql.raw(
                """
                UPDATE webhook_deliveries SET lease_owner = \(bind: owner), lease_until = \(bind: now + leaseMillis)
                WHERE id = \(bind: id) AND state = 'pending' AND next_attempt_at <= \(bind: now)
                    AND (lease_until IS NULL OR lease_until < \(bind: now))
                RETURNING *
                """
            ).first().map(Self.delivery)
        }
    }

    /// Records an attempt and what follows it (`delivered`, `failed`, or `pending` again at `nextAttemptAt`), only
    /// while `owner` still holds the delivery. False when it does not (its lease ran out and another sender took it).
    func record(
        _ attempt: WebhookAttempt,
        of id: String,
        owner: String,
        state: WebhookDelivery.State,
        nextAttemptAt: Int64?
    ) async throws -> Bool {
        try await self.database.transaction { sql in
            guard
                try await sql.raw(
                    """
                    UPDATE webhook_deliveries SET attempts = attempts + 1, state = \(bind: state.rawValue), next_attempt_at = \(bind: nextAttemptAt),
                        delivered_at = \(bind: state == .delivered ? attempt.at : nil), lease_owner = NULL, lease_until = NULL
                    WHERE id = \(bind: id) AND lease_owner = \(bind: owner)
                    RETURNING attempts
                    """
                ).first() != nil
            else { return false }
            try await sql.raw(
                """
                INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
                VALUES (\(bind: id), (SELECT COALESCE(MAX(attempt), 0) + 1 FROM webhook_attempts WHERE delivery_id = \(bind: id)),
                    \(bind: attempt.at), \(bind: attempt.statusCode), \(bind: attempt.error), \(bind: attempt.durationMillis))
                """
            ).run()
            return true
        }
    }

    /// The webhook of one of the account's generations, with its attempts; nil when it has none (yet).
    package func delivery(generationID: String, accountID: String) async throws -> WebhookDelivery? {
        try await self.database.read { sql in
            guard
                let row = try await sql.raw(
                    "SELECT * FROM webhook_deliveries WHERE generation_id = \(bind: generationID) AND account_id = \(bind: accountID)"
                ).first()
            else { return nil }
            var delivery = try Self.delivery(row)
            delivery.history = try await sql.raw(
                "SELECT * FROM webhook_attempts WHERE delivery_id = \(bind: delivery.id) ORDER BY attempt"
            ).all().map { row in
                WebhookAttempt(
                    number: try row.decode(column: "attempt", as: Int.self),
                    at: try row.decode(column: "at", as: Int64.self),
                    statusCode: try row.decode(column: "status_code", as: Int?.self),
                    error: try row.decode(column: "error", as: String?.self),
                    durationMillis: try row.decode(column: "duration_ms", as: Int64.self)
                )
            }
            return delivery
        }
    }

    /// Makes a generation's webhook due again now, with the same `webhook-id`, and retried from now on as a new one
    /// would be. Nil when the generation has no webhook (yet).
    package func redeliver(generationID: String, accountID: String, now: Int64) async throws -> WebhookDelivery? {
        try await self.database.transaction(priority: .urgent) { sql in
            try await sql.raw(
                """
                UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = \(bind: now), pending_since = \(bind: now)
                WHERE generation_id = \(bind: generationID) AND account_id = \(bind: accountID)
                RETURNING *
                """
            ).first().map(Self.delivery)
        }
    }

    static func delivery(_ row: any SQLRow) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.decode(column: "id", as: String.self),
            generationID: try row.decode(column: "generation_id", as: String.self),
            accountID: try row.decode(column: "account_id", as: String.self),
            event: try row.decode(column: "event", as: String.self),
            url: try row.decode(column: "url", as: String.self),
            state: WebhookDelivery.State(rawValue: try row.decode(column: "state", as: String.self)) ?? .failed,
            attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Int64?.self),
            pendingSince: try row.decode(column: "pending_since", as: Int64.self),
            deliveredAt: try row.decode(column: "delivered_at", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: Int64.self)
        )
    }
}
