import Billing
import Customers
import Essentials
import Foundation
import GatewayAPI
import Mail
import Payments
import Storage

/// Everything `imagegate serve` runs with: the settings (declared in `ConfigSettings`, read by a `SettingsReader`)
/// as typed values, and what only code sets (the clock, intervals tests shorten).
package struct AppConfiguration: Sendable {
    package var host: String
    package var port: Int
    package var data: DataLocation
    /// Who sends an output's bytes once its link is checked.
    package var outputDelivery: OutputDeliveryMode
    /// How long a `redirect` delivery's presigned link lives.
    package var redirectSeconds: Int
    /// The nginx `internal` location that `accel` delivery names (it maps onto the blob directory).
    package var accelPrefix: String
    /// Most connections to PostgreSQL (with a `postgres://` database).
    package var databasePoolSize: Int
    /// Base of every `output_url`; nil means `http://HOST:PORT`.
    package var publicURL: String?
    package var outputRetentionSeconds: Int64
    package var provider: String
    package var syncTimeoutSeconds: Int64
    /// A run's lease on a generation; renewed every third of it while the run lives.
    package var leaseSeconds: Int64
    /// How long an open route breaker waits before its probe.
    package var breakerCooldownSeconds: Int64
    /// Unset: the admin API is off.
    /// Every token the admin API accepts (`--admin-token` and `--admin-tokens`); empty: the admin API is off.
    package var adminTokens: [String]
    /// Whether a fresh database starts without account `default`.
    package var noDefaultAccount: Bool
    /// Proxies whose `X-Forwarded-For` names the client in the access log (`--trusted-proxies`).
    package var trustedProxies: TrustedProxies
    package var allowPrivateImageURLs: Bool
    /// Let webhooks reach loopback and private addresses.
    package var allowPrivateWebhookURLs: Bool
    /// The first retry of a failed webhook (then doubling, up to an hour, for at least a day).
    package var webhookFirstRetrySeconds: Int64
    /// Generations run at once; nil: 4 for the CPU-bound local engine, 64 for fal (waiting on the network).
    package var workers: Int?
    /// How long a request's head may take to arrive (a slow-loris client is cut off after it).
    package var headerTimeoutSeconds: Int64
    /// How long a whole request body may take to arrive.
    package var bodyTimeoutSeconds: Int64
    /// Rate limits for keys without their own, per minute (0: none).
    package var requestsPerMinute: Int
    package var imagesPerMinute: Int
    /// Backpressure: queued generations in all, and per account (0: no bound).
    package var maxQueued: Int
    package var maxQueuedPerAccount: Int
    /// Memory for recently read outputs (0 turns the cache off).
    package var outputCacheBytes: Int
    /// Where `GET /metrics` listens: its own address, loopback unless told otherwise; no port, no listener.
    package var metricsHost: String
    package var metricsPort: Int?
    /// A catalog file to use instead of the built-in one.
    package var catalogPath: String?
    /// fal.ai (with `provider = "fal"`).
    package var falKey: String?
    /// Card top-ups through Stripe Checkout (nil: off, both secrets are needed).
    package var topUps: TopUps.Settings?
    /// Outbound mail (nil: `--smtp-url` unset, no mail is sent).
    package var mail: SMTPSettings?
    /// Self-service accounts: who may sign up and with what starting credit.
    package var customers: CustomerSettings
    package var falQueueURL: String
    /// nil: the catalog's endpoint for the model.
    package var falGenerateEndpoint: String?
    package var falEditEndpoint: String?

    // Not settings: set by code.
    package var maxBodyBytes = 150 << 20
    package var janitorIntervalSeconds: Int64 = 60
    /// Where routes' keys (`api_key_env`) and addresses (`base_url_env`) are read: the process's environment.
    package var environment: [String: String] = ProcessInfo.processInfo.environment
    /// The date expiry, leases and windows are judged against (tests move it by hand).
    package var clock: any WallClock = SystemClock()

    /// Reads every `serve` setting; an invalid one is an error naming it.
    package init(_ settings: SettingsReader) throws {
        self.host = try settings.required(settings.text, "host")
        self.port = try settings.required(settings.integer, "port")
        self.data = try DataLocation(settings)
        self.outputDelivery = OutputDeliveryMode(rawValue: try settings.required(settings.text, "output-delivery"))!
        self.redirectSeconds = Int(try settings.required(settings.seconds, "redirect-ttl"))
        self.accelPrefix = try settings.required(settings.text, "accel-prefix")
        self.databasePoolSize = try settings.required(settings.integer, "database-pool")
        self.publicURL = try settings.text("public-url")
        self.outputRetentionSeconds = try settings.required(settings.seconds, "output-retention")
        self.provider = try settings.required(settings.text, "provider")
        self.syncTimeoutSeconds = try settings.required(settings.seconds, "sync-timeout")
        self.leaseSeconds = try settings.required(settings.seconds, "lease")
        self.breakerCooldownSeconds = try settings.required(settings.seconds, "breaker-cooldown")
        self.adminTokens = try Self.adminTokens(one: settings.text("admin-token"), several: settings.text("admin-tokens"))
        self.noDefaultAccount = try settings.flag("no-default-account")
        self.allowPrivateImageURLs = try settings.flag("allow-private-image-urls")
        self.allowPrivateWebhookURLs = try settings.flag("allow-private-webhook-urls")
        self.webhookFirstRetrySeconds = try settings.required(settings.seconds, "webhook-first-retry")
        self.workers = try settings.integer("workers")
        self.headerTimeoutSeconds = try settings.required(settings.seconds, "header-timeout")
        self.bodyTimeoutSeconds = try settings.required(settings.seconds, "body-timeout")
        self.requestsPerMinute = try settings.required(settings.integer, "requests-per-minute")
        self.imagesPerMinute = try settings.required(settings.integer, "images-per-minute")
        self.maxQueued = try settings.required(settings.integer, "max-queued")
        self.maxQueuedPerAccount = try settings.required(settings.integer, "max-queued-per-account")
        self.outputCacheBytes = (try settings.required(settings.integer, "output-cache-mb")) << 20
        self.metricsHost = try settings.required(settings.text, "metrics-host")
        self.metricsPort = try settings.integer("metrics-port")
        self.catalogPath = try settings.text("catalog")
        self.falKey = try settings.text("fal-key")
        self.topUps = try Self.topUps(settings, publicURL: self.publicURL ?? "http://\(self.host):\(self.port)")
        self.mail = try Self.mail(settings)
        self.customers = try Self.customers(settings, publicURL: self.publicURL ?? "http://\(self.host):\(self.port)")
        if self.customers.signup != .closed && self.mail == nil {
            // Sign-up mails the link that verifies the email: without mail, nobody could finish it.
            throw ConfigurationError(description: "--signup \(self.customers.signup.rawValue) needs mail: set --smtp-url and --mail-from")
        }
        self.falQueueURL = try settings.required(settings.text, "fal-queue-url")
        self.falGenerateEndpoint = try settings.text("fal-endpoint-generate")
        self.falEditEndpoint = try settings.text("fal-endpoint-edit")
        switch TrustedProxies.parse(try settings.text("trusted-proxies") ?? "") {
        case .success(let proxies): self.trustedProxies = proxies
        case .failure(let error):
            throw ConfigurationError(description: "--trusted-proxies: '\(error.entry)' is not an IP address or CIDR block")
        }
    }

    package var resolvedPublicURL: String { self.publicURL ?? "http://\(self.host):\(self.port)" }
    /// `--workers`, else 64 when a model calls an upstream (generations mostly wait on it), 4 for the local engine.
    package func resolvedWorkers(upstream: Bool) -> Int { self.workers ?? (upstream ? 64 : 4) }
}

extension AppConfiguration {
    /// Stripe's settings, when both secrets are given; one without the other is refused (half a payment setup
    /// would take money it cannot credit, or credit nothing it is sent).
    static func topUps(_ settings: SettingsReader, publicURL: String) throws -> TopUps.Settings? {
        let key = try settings.text("stripe-secret-key")
        let secret = try settings.text("stripe-webhook-secret")
        guard let key, let secret else {
            if key != nil || secret != nil {
                throw ConfigurationError(description: "--stripe-secret-key and --stripe-webhook-secret go together: set both or neither")
            }
            return nil
        }
        var topUps = TopUps.Settings(
            checkout: StripeCheckout.Settings(secretKey: key, apiBase: try settings.required(settings.text, "stripe-api-base")),
            webhookSecret: secret,
            publicURL: publicURL
        )
        for (name, apply) in [("topup-min-usd", { (value: MicroUSD) in topUps.minimum = value }), ("topup-max-usd", { topUps.maximum = $0 })] {
            let text = try settings.required(settings.text, name)
            guard let value = MicroUSD(usd: text), value.micros > 0, value.micros % 10_000 == 0 else {
                throw ConfigurationError(description: "--\(name): '\(text)' is not a positive amount in whole cents")
            }
            apply(value)
        }
        guard topUps.minimum <= topUps.maximum else { throw ConfigurationError(description: "--topup-min-usd is above --topup-max-usd") }
        return topUps
    }

    /// `--signup` and `--signup-credit-usd`.
    static func customers(_ settings: SettingsReader, publicURL: String) throws -> CustomerSettings {
        let mode = SignupMode(rawValue: try settings.required(settings.text, "signup"))!
        let text = try settings.required(settings.text, "signup-credit-usd")
        guard let credit = MicroUSD(usd: text), credit.micros >= 0 else {
            throw ConfigurationError(description: "--signup-credit-usd: '\(text)' is not an amount in dollars")
        }
        return CustomerSettings(signup: mode, startingCredit: credit, publicURL: publicURL)
    }

    /// The shortest admin token accepted: a guessable token would open every account's money.
    static let minimumAdminTokenLength = 32

    /// `--admin-token` and the comma-separated `--admin-tokens`, each long enough; never repeats a token in an error.
    static func adminTokens(one: String?, several: String?) throws -> [String] {
        let tokens = ([one ?? ""] + (several ?? "").split(separator: ",").map(String.init))
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        for (index, token) in tokens.enumerated() where token.count < Self.minimumAdminTokenLength {
            throw ConfigurationError(
                description:
                    "admin token \(index + 1) has \(token.count) characters; use at least \(Self.minimumAdminTokenLength) (e.g. openssl rand -hex 24)"
            )
        }
        return tokens
    }
}
