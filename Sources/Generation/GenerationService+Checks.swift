import Billing
import Blobs
import Catalog
import Essentials
import Foundation
import Imaging
import Logging
import NIOCore
import Outbound
import Providers
import SQLKit
import Storage

/// The checks a request passes before any money is held (balance, key limits, rate limits, webhook address) and
/// the sizes and stored form it resolves to.
extension GenerationService {
    /// Refuses a new generation while the shared queue, or the account's share of it, is at its bound. One look over
    /// the queued rows (the status index; at most about `maxQueued` of them). Not atomic with the hold: requests in
    /// flight at the same instant may pass it together, which a bound for backpressure can afford.
    func checkQueue(accountID: String, on sql: any SQLDatabase) async throws {
        let (total, own) = (self.settings.maxQueued, self.settings.maxQueuedPerAccount)
        guard total > 0 || own > 0 else { return }
        let row = try await sql.raw(
            """
            SELECT COUNT(*) AS queued, COALESCE(SUM(CASE WHEN account_id = \(bind: accountID) THEN 1 ELSE 0 END), 0) AS own
            FROM generations WHERE status = 'queued'
            """
        ).first()
        let queued = try row?.decode(column: "queued", as: Int.self) ?? 0
        let mine = try row?.decode(column: "own", as: Int.self) ?? 0
        if total > 0, queued >= total {
            throw RequestError.overloaded("\(queued) generations are waiting to run on this server; try again in a few seconds.")
        }
        if own > 0, mine >= own {
            throw RequestError.overloaded("This account has \(mine) generations waiting to run, the most it may; try again once some have started.")
        }
    }

    /// Refuses, before any work, a request the account's available balance or the key's limits cannot take.
    func checkAffordable(
        _ hold: MicroUSD,
        accountID: String,
        apiKeyID: String?,
        images: (count: Int, limit: RateLimit?) = (0, nil)
    ) async throws {
        do {
            try await self.database.read { sql in
                let now = self.settings.clock.nowMillis()
                if let apiKeyID, let limit = images.limit { try await RateLimits.check(images.count, of: limit, keyID: apiKeyID, now: now, on: sql) }
                try await self.checkQueue(accountID: accountID, on: sql)
                let (available, _) = try await Ledger.balances(account: accountID, on: sql)
                guard available >= hold else { throw BillingError.insufficientBalance(available: available, required: hold) }
                if let apiKeyID { try await KeyLimits.check(keyID: apiKeyID, adding: hold, now: now, on: sql) }
            }
        } catch let error as BillingError {
            throw RequestError(error) ?? error
        }
    }

    /// The key's rate limits, and one request taken from its requests-per-minute bucket (refused with
    /// `rate_limited` when it is empty). Keys without limits cost nothing when the front door read their own
    /// limits (`own`) with the key, one read otherwise.
    func takeRequest(apiKeyID: String?, own: KeyRateLimits?) async throws -> (limits: [RateLimit], status: RateLimitStatus?) {
        guard let apiKeyID else { return ([], nil) }
        let own = if let own { own } else { try await self.database.read { sql in try await RateLimits.own(keyID: apiKeyID, on: sql) } }
        let limits = RateLimits.limits(own: own, defaults: self.settings.defaultRateLimits)
        guard let requests = limits.first(where: { $0.kind == .requests }) else { return (limits, nil) }
        do {
            let now = self.settings.clock.nowMillis()
            let status = try await self.database.transaction { sql in try await RateLimits.take(1, of: requests, keyID: apiKeyID, now: now, on: sql) }
            return (limits, status)
        } catch let error as BillingError {
            throw RequestError(error) ?? error
        }
    }

    /// Refuses a webhook URL whose host does not resolve or resolves to an address the policy forbids (loopback,
    /// private, metadata), before any money is held. Checked again at each delivery: DNS can change in between.
    func checkWebhook(_ url: String, name: String) async throws(RequestError) {
        guard let parsed = URL(string: url) else { throw .invalid(name, "\(name) must be an absolute http(s) URL.") }
        do {
            _ = try await self.webhookPolicy.target(of: parsed, on: self.references.threadPool)
        } catch {
            switch error {
            case .notHTTP: throw .invalid(name, "\(name) must be an absolute http(s) URL.")
            case .unresolvable(let host): throw .invalid(name, "\(name): the host \(host) could not be resolved.")
            case .notPublic: throw .invalid(name, "\(name) points to a private or local network address, which is not allowed.")
            }
        }
    }

    /// `auto` is 1:1 for generate, and for edit the table ratio nearest to the first reference.
    static func resolveSize(
        _ parameters: GenerateParameters,
        model: ModelSpec,
        firstReference: ReferenceImage?,
        names: ParameterNames = .native
    ) throws(RequestError) -> (String, PixelSize) {
        var ratio = parameters.aspectRatio
        if ratio == "auto" {
            if let first = firstReference {
                ratio = model.nearestAspectRatio(width: first.probe.width, height: first.probe.height, tier: parameters.size) ?? "1:1"
            } else {
                ratio = "1:1"
            }
        }
        guard let size = model.pixelSize(tier: parameters.size, aspectRatio: ratio) else {
            throw .invalid(names["aspect_ratio"], "No pixel size is defined for \(ratio) at \(parameters.size).")
        }
        return (ratio, size)
    }

    /// Data URIs can be megabytes; the stored request keeps only their head.
    static func forStorage(_ parameters: GenerateParameters) -> GenerateParameters {
        var copy = parameters
        copy.imageURLs = parameters.imageURLs.map(Self.shorten)
        return copy
    }

    static func shorten(_ source: String) -> String {
        source.hasPrefix("data:") && source.count > 64 ? String(source.prefix(48)) + "…(\(source.utf8.count) bytes)" : source
    }
}
