import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Imaging
import Logging
import NIOCore
import Providers
import SQLKit
import Storage

/// Waiting for a generation to change or end, woken by the hub and reading the row again on a poll.
extension GenerationService {
    /// Waits up to `timeout` for a generation to end and returns it as it then is.
    func waitForEnd(_ id: String, timeout: Duration) async throws -> GenerationRecord? {
        try await self.watch(id, timeout: timeout, poll: Self.endPollInterval) {
            try await self.store.get(id: id)
        } until: {
            $0.status.isFinal
        }
    }

    /// Reads a generation with `read` until `isDone` holds for it or `timeout` passes, and returns it as it then is
    /// (nil when there is no such row). Registers with the hub before each read, so an end that happens in between is
    /// not missed. The hub is woken by this process's runs and, on PostgreSQL, by every replica's (NOTIFY); the row is
    /// read again every `poll` as well, so a change nobody announces (a run starting) or an end whose notification was
    /// lost (a listener reconnecting) is seen within that interval rather than at the timeout.
    func watch(
        _ id: String,
        timeout: Duration,
        poll: Duration,
        read: () async throws -> GenerationRecord?,
        until isDone: (GenerationRecord) -> Bool
    ) async throws -> GenerationRecord? {
        let deadline = ContinuousClock.now + timeout
        while true {
            await self.hub.prepare(id)
            let record: GenerationRecord?
            do {
                record = try await read()
            } catch {
                await self.hub.discard(id)
                throw error
            }
            let left = deadline - ContinuousClock.now
            guard let record, !isDone(record), left > .zero else {
                await self.hub.discard(id)
                return record
            }
            _ = await self.hub.wait(for: id, timeout: min(left, poll))
        }
    }

    /// How often a waiter reads its generation again without being woken.
    static let endPollInterval = Duration.seconds(1)
}
