import AsyncHTTPClient
import Essentials
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Outbound
import ServiceLifecycle
import Storage
import Synchronization

/// Sends the outbox's webhooks, as a service of the application: each due delivery is claimed under a lease, signed
/// (Standard Webhooks), POSTed to its URL, and its attempt recorded; a failure (no 2xx within the timeout) is
/// retried with exponential backoff and jitter for at least `retryForMillis`, always with the same `webhook-id`.
///
/// Woken at once when a generation settles (the bell) and otherwise every half second, so a delivery left pending
/// by a crash or waiting for its retry goes out on time; several replicas can run one each (the claim's lease).
package struct WebhookDispatcher: Service {
    let outbox: WebhookOutbox
    let secrets: WebhookSecrets
    let settings: WebhookSettings
    let clock: any WallClock
    let bell: WebhookBell
    /// Where webhooks may point: public addresses, unless the operator allows private ones.
    let policy: AddressPolicy
    /// The body of an event (the HTTP layer renders the generation as `GET /v1/generations/{id}` shows it).
    let body: @Sendable (WebhookDelivery) async throws -> [UInt8]
    let logger: Logger

    package init(
        database: any Database,
        settings: WebhookSettings,
        clock: any WallClock,
        bell: WebhookBell,
        logger: Logger,
        body: @escaping @Sendable (WebhookDelivery) async throws -> [UInt8]
    ) {
        self.outbox = WebhookOutbox(database: database)
        self.secrets = WebhookSecrets(database: database)
        self.settings = settings
        self.clock = clock
        self.bell = bell
        self.policy = AddressPolicy(allowPrivate: settings.allowPrivateAddresses)
        self.body = body
        self.logger = logger
    }

    package func run() async {
        let owner = Identifier.make("hook")
        let inFlight = InFlightCount()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                // Prepared before the read: a settlement in between rings a bell that is already listened for.
                await self.bell.prepare()
                let free = self.settings.concurrency - inFlight.count.withLock { $0 }
                if free > 0 {
                    for delivery in await self.claimDue(limit: free, owner: owner) {
                        inFlight.count.withLock { $0 += 1 }
                        group.addTask {
                            await self.attempt(delivery, owner: owner)
                            inFlight.count.withLock { $0 -= 1 }
                            await self.bell.ring()
                        }
                    }
                }
                await self.bell.wait(timeout: .milliseconds(500))
            }
        }
    }

    /// Due deliveries, each claimed under this sender's lease.
    func claimDue(limit: Int, owner: String) async -> [WebhookDelivery] {
        let now = self.clock.nowMillis()
        do {
            var claimed: [WebhookDelivery] = []
            for id in try await self.outbox.due(now: now, limit: limit) {
                if let delivery = try await self.outbox.claim(id: id, owner: owner, now: now, leaseMillis: self.settings.leaseMillis) {
                    claimed.append(delivery)
                }
            }
            return claimed
        } catch {
            if !Task.isCancelled { self.logger.warning("webhook outbox not read", metadata: ["error": "\(error)"]) }
            return []
        }
    }

    /// One attempt: sign, send, record what happened and when the next attempt is due.
    func attempt(_ delivery: WebhookDelivery, owner: String) async {
        var logger = self.logger
        logger[metadataKey: "generation"] = "\(delivery.generationID)"
        logger[metadataKey: "webhook_id"] = "\(delivery.id)"
        let started = self.clock.nowMillis()
        let answer: (status: Int?, error: String?)
        do {
            let body = try await self.body(delivery)
            let secret = try await self.secrets.secret(accountID: delivery.accountID, now: started)
            let timestamp = started / 1000
            let signature = WebhookSignature.header(id: delivery.id, timestamp: timestamp, body: body, secrets: secret.signing(at: started))
            answer = await self.send(
                body,
                to: delivery.url,
                headers: [
                    ("webhook-id", delivery.id), ("webhook-timestamp", "\(timestamp)"), ("webhook-signature", signature),
                ]
            )
        } catch {
            // The books could not be read: not the receiver's fault, but an attempt all the same (it is retried).
            answer = (nil, "not sent: the event could not be prepared")
            logger.warning("webhook not prepared", metadata: ["error": "\(error)"])
        }
        let ended = self.clock.nowMillis()
        let delivered = answer.status.map { (200..<300).contains($0) } ?? false
        let number = delivery.attempts + 1
        let state: WebhookDelivery.State
        let next: Int64?
        if delivered {
            (state, next) = (.delivered, nil)
        } else if ended - delivery.pendingSince >= self.settings.retryForMillis {
            (state, next) = (.failed, nil)
        } else {
            (state, next) = (.pending, ended + self.settings.retryDelay(afterAttempt: number, jitter: Double.random(in: 0...1)))
        }
        let attempt = WebhookAttempt(number: number, at: started, statusCode: answer.status, error: answer.error, durationMillis: ended - started)
        do {
            let recorded = try await self.outbox.record(attempt, of: delivery.id, owner: owner, state: state, nextAttemptAt: next)
            if !recorded { logger.notice("webhook attempt not recorded: its lease ran out") }
        } catch {
            // The lease runs out and the delivery is attempted again: at least once, never lost.
            logger.warning("webhook attempt not recorded", metadata: ["error": "\(error)"])
        }
        WebhookMetrics.attempt(outcome: delivered ? "delivered" : state == .failed ? "gave_up" : "retry")
        logger.log(
            level: delivered ? .info : .notice,
            "webhook attempt",
            metadata: [
                "attempt": "\(number)", "status": "\(answer.status.map(String.init) ?? "-")", "error": "\(answer.error ?? "-")",
                "state": "\(state.rawValue)",
            ]
        )
    }

    /// POSTs `body` to `url` through the address policy (connecting to the one address it checked), within the
    /// timeout. The receiver's status, or why there is none. Redirects are not followed: a 3xx is a failure.
    func send(_ body: [UInt8], to url: String, headers: [(String, String)]) async -> (status: Int?, error: String?) {
        guard let parsed = URL(string: url) else { return (nil, "the URL is not valid") }
        let target: (host: String, address: String)
        do {
            target = try await self.policy.target(of: parsed, on: .singleton)
        } catch {
            switch error {
            case .notHTTP: return (nil, "the URL is not http(s)")
            case .unresolvable(let host): return (nil, "the host \(host) could not be resolved")
            case .notPublic: return (nil, "the host resolves to a private or local network address, which is not allowed")
            }
        }
        let timeout = TimeAmount.milliseconds(self.settings.timeout.milliseconds)
        var configuration = HTTPClient.Configuration.outbound(connectTimeout: timeout, readTimeout: timeout, connectionsPerHost: 1)
        configuration.dnsOverride = [target.host: target.address]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "ImageGate-Webhooks/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let answer: (status: Int?, error: String?)
        do {
            // The deadline covers the connection and the answer's head: a receiver that never answers is cut off.
            let response = try await client.execute(request, timeout: timeout)
            answer = (Int(response.status.code), (200..<300).contains(response.status.code) ? nil : "HTTP \(response.status.code)")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            answer = (nil, "timed out")
        } catch {
            answer = (nil, "connection failed")
        }
        // The answer's body is not read: shutting the client down closes the connection, whatever the receiver sends.
        try? await client.shutdown()
        return answer
    }
}

/// Attempts in flight, shared by the dispatcher's loop and its attempts.
final class InFlightCount: Sendable {
    let count = Mutex(0)
}
