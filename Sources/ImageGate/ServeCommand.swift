import ArgumentParser
import Billing
import Foundation
import Hummingbird
import ImageGateApp
import Logging
import Storage

/// `imagegate serve`: runs the HTTP API until SIGINT/SIGTERM, then shuts down gracefully.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the ImageGate API server.",
        discussion: "Every option can also be set as IMAGEGATE_<NAME> in the environment, e.g. IMAGEGATE_PORT=9000."
    )

    @Option(help: "Address to listen on (env IMAGEGATE_HOST). Default: 127.0.0.1") var host: String?
    @Option(help: "Port to listen on (env IMAGEGATE_PORT). Default: 8080") var port: Int?
    @OptionGroup var data: DataOptions
    @Option(name: .customLong("public-url"), help: "Base of every output_url (env IMAGEGATE_PUBLIC_URL). Default: http://HOST:PORT")
    var publicURL: String?
    @Option(
        name: .customLong("output-retention"),
        help: "How long outputs stay downloadable: 30s, 15m, 12h, 7d (env IMAGEGATE_OUTPUT_RETENTION). Default: 7d"
    )
    var outputRetention: String?
    @Option(help: "Image provider: local or fal (env IMAGEGATE_PROVIDER). Default: local") var provider: String?
    @Option(name: .customLong("fal-key"), help: "fal.ai API key (env FAL_KEY or IMAGEGATE_FAL_KEY).") var falKey: String?
    @Option(name: .customLong("fal-queue-url"), help: "fal queue host (env IMAGEGATE_FAL_QUEUE_URL). Default: https://queue.fal.run")
    var falQueueURL: String?
    @Option(
        name: .customLong("fal-endpoint-generate"),
        help: "fal endpoint for mode generate. Default: fal-ai/bytedance/seedream/v5/lite/text-to-image"
    )
    var falEndpointGenerate: String?
    @Option(name: .customLong("fal-endpoint-edit"), help: "fal endpoint for mode edit. Default: fal-ai/bytedance/seedream/v5/lite/edit")
    var falEndpointEdit: String?
    @Option(
        name: .customLong("sync-timeout"),
        help: "How long a synchronous call waits before answering 202 (env IMAGEGATE_SYNC_TIMEOUT). Default: 120s"
    )
    var syncTimeout: String?
    @Option(
        name: .customLong("lease"),
        help: "How long a dead worker's generation waits before another run takes it over (env IMAGEGATE_LEASE). Default: 30s"
    )
    var lease: String?
    @Option(name: .customLong("admin-token"), help: "Token for the admin API; unset turns it off (env IMAGEGATE_ADMIN_TOKEN).")
    var adminToken: String?
    @Flag(
        name: .customLong("allow-private-image-urls"),
        help: "Let image_urls reach loopback and private addresses (env IMAGEGATE_ALLOW_PRIVATE_IMAGE_URLS=1)."
    )
    var allowPrivateImageURLs = false
    @Flag(
        name: .customLong("allow-private-webhook-urls"),
        help: "Let webhook_url reach loopback and private addresses (env IMAGEGATE_ALLOW_PRIVATE_WEBHOOK_URLS=1)."
    )
    var allowPrivateWebhookURLs = false
    @Option(
        name: .customLong("webhook-first-retry"),
        help: "Wait before a failed webhook's first retry; it doubles up to 1h, for at least 24h (env IMAGEGATE_WEBHOOK_FIRST_RETRY). Default: 5s"
    )
    var webhookFirstRetry: String?
    @Option(
        name: .customLong("header-timeout"),
        help: "Close a connection whose request head takes longer than this to arrive (env IMAGEGATE_HEADER_TIMEOUT). Default: 30s"
    )
    var headerTimeout: String?
    @Option(
        name: .customLong("body-timeout"),
        help: "Answer 408 to a request whose body takes longer than this to arrive (env IMAGEGATE_BODY_TIMEOUT). Default: 300s"
    )
    var bodyTimeout: String?
    @Option(
        name: .customLong("metrics-port"),
        help: "Serve GET /metrics (Prometheus) on this port, apart from the API (env IMAGEGATE_METRICS_PORT). Default: off"
    )
    var metricsPort: Int?
    @Option(name: .customLong("metrics-host"), help: "Address of the metrics listener (env IMAGEGATE_METRICS_HOST). Default: 127.0.0.1")
    var metricsHost: String?
    @Option(
        name: .customLong("requests-per-minute"),
        help: "Generation requests per minute for keys without a limit of their own; 0: none (env IMAGEGATE_REQUESTS_PER_MINUTE). Default: 0"
    )
    var requestsPerMinute: Int?
    @Option(
        name: .customLong("images-per-minute"),
        help: "Images per minute for keys without a limit of their own; 0: none (env IMAGEGATE_IMAGES_PER_MINUTE). Default: 0"
    )
    var imagesPerMinute: Int?
    @Option(help: "Generations run at once (env IMAGEGATE_WORKERS). Default: 4 (local), 64 (fal)") var workers: Int?
    @Option(
        name: .customLong("database-pool"),
        help: "Most PostgreSQL connections this replica opens (env IMAGEGATE_DATABASE_POOL). Default: 20"
    )
    var databasePool: Int?
    @Option(
        name: .customLong("output-cache-mb"),
        help: "Memory for recently read outputs, in MiB; 0 turns it off (env IMAGEGATE_OUTPUT_CACHE_MB). Default: 64"
    )
    var outputCacheMB: Int?
    @Option(
        name: .customLong("output-delivery"),
        help:
            "Who sends output bytes: proxy (ImageGate), redirect (302 to the S3 store), accel (nginx X-Accel-Redirect) (env IMAGEGATE_OUTPUT_DELIVERY). Default: proxy"
    )
    var outputDelivery: String?
    @Option(name: .customLong("redirect-ttl"), help: "Life of a redirect delivery's presigned link (env IMAGEGATE_REDIRECT_TTL). Default: 5m")
    var redirectTTL: String?
    @Option(
        name: .customLong("accel-prefix"),
        help: "nginx internal location of accel delivery, mapped onto <data dir>/blobs/ (env IMAGEGATE_ACCEL_PREFIX). Default: /_imagegate_blobs/"
    )
    var accelPrefix: String?
    @Option(name: .customLong("catalog"), help: "Model catalog file to use instead of the built-in one (env IMAGEGATE_CATALOG).")
    var catalog: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env IMAGEGATE_LOG_LEVEL). Default: info")
    var logLevel: String?
    @Option(name: .customLong("log-format"), help: "text or json (one JSON object per line) (env IMAGEGATE_LOG_FORMAT). Default: text")
    var logFormat: String?

    func run() async throws {
        let config = try self.configuration()
        let level = Logger.Level(rawValue: self.logLevel ?? EnvironmentVariable.get("LOG_LEVEL") ?? "info") ?? .info
        let format = self.logFormat ?? EnvironmentVariable.get("LOG_FORMAT") ?? "text"
        guard ["text", "json"].contains(format) else { throw ValidationError("--log-format: text or json") }
        Observability.bootstrapLogging(format: format, level: level)
        var logger = Logger(label: "imagegate")
        logger.logLevel = level

        try await self.createDefaultAccountIfFresh(config)
        let app = try await buildApplication(config, logger: logger)
        try await app.runService()
    }

    func configuration() throws -> AppConfiguration {
        var config = AppConfiguration()
        config.host = self.host ?? EnvironmentVariable.get("HOST") ?? config.host
        if let port = try self.port ?? EnvironmentVariable.get("PORT").map({ try Self.integer($0, "--port") }) { config.port = port }
        config.dataDirectory = self.data.resolvedDataDirectory
        config.databasePath = self.data.resolvedDatabase
        config.blobStore = try self.data.blobs.location()
        if let text = self.outputDelivery ?? EnvironmentVariable.get("OUTPUT_DELIVERY") {
            guard let mode = OutputDeliveryMode(rawValue: text) else { throw ValidationError("--output-delivery: proxy, redirect or accel") }
            config.outputDelivery = mode
        }
        if let text = self.redirectTTL ?? EnvironmentVariable.get("REDIRECT_TTL") {
            guard let seconds = DurationText.seconds(text), (1...3600).contains(seconds) else {
                throw ValidationError("--redirect-ttl: 1s to 1h (the output's own link, not this, decides how long it lives)")
            }
            config.redirectSeconds = Int(seconds)
        }
        config.accelPrefix = self.accelPrefix ?? EnvironmentVariable.get("ACCEL_PREFIX") ?? config.accelPrefix
        if let pool = try self.databasePool ?? EnvironmentVariable.get("DATABASE_POOL").map({ try Self.integer($0, "--database-pool") }) {
            // Two connections listen (ends, work), a chore's lock holds a third, and the chore needs a fourth inside it.
            guard pool >= 6 else { throw ValidationError("--database-pool: at least 6 (3 are held by listeners and chores)") }
            config.databasePoolSize = pool
        }
        config.publicURL = self.publicURL ?? EnvironmentVariable.get("PUBLIC_URL")
        if let text = self.outputRetention ?? EnvironmentVariable.get("OUTPUT_RETENTION") {
            guard let seconds = DurationText.seconds(text) else { throw ValidationError("--output-retention: expected e.g. 30s, 15m, 12h or 7d") }
            config.outputRetentionSeconds = seconds
        }
        config.provider = self.provider ?? EnvironmentVariable.get("PROVIDER") ?? config.provider
        if let text = self.headerTimeout ?? EnvironmentVariable.get("HEADER_TIMEOUT") {
            guard let seconds = DurationText.seconds(text), seconds >= 1 else { throw ValidationError("--header-timeout: expected e.g. 30s") }
            config.headerTimeoutSeconds = seconds
        }
        if let text = self.bodyTimeout ?? EnvironmentVariable.get("BODY_TIMEOUT") {
            guard let seconds = DurationText.seconds(text), seconds >= 1 else { throw ValidationError("--body-timeout: expected e.g. 300s or 5m") }
            config.bodyTimeoutSeconds = seconds
        }
        if let text = self.syncTimeout ?? EnvironmentVariable.get("SYNC_TIMEOUT") {
            guard let seconds = DurationText.seconds(text) else { throw ValidationError("--sync-timeout: expected e.g. 120s or 5m") }
            config.syncTimeoutSeconds = seconds
        }
        if let text = self.lease ?? EnvironmentVariable.get("LEASE") {
            guard let seconds = DurationText.seconds(text), seconds >= 3 else {
                throw ValidationError("--lease: expected e.g. 30s or 2m (at least 3s)")
            }
            config.leaseSeconds = seconds
        }
        config.adminToken = self.adminToken ?? EnvironmentVariable.get("ADMIN_TOKEN")
        config.allowPrivateImageURLs =
            self.allowPrivateImageURLs || ["1", "true", "yes"].contains(EnvironmentVariable.get("ALLOW_PRIVATE_IMAGE_URLS")?.lowercased() ?? "")
        config.allowPrivateWebhookURLs =
            self.allowPrivateWebhookURLs || ["1", "true", "yes"].contains(EnvironmentVariable.get("ALLOW_PRIVATE_WEBHOOK_URLS")?.lowercased() ?? "")
        if let text = self.webhookFirstRetry ?? EnvironmentVariable.get("WEBHOOK_FIRST_RETRY") {
            guard let seconds = DurationText.seconds(text), seconds >= 1 else { throw ValidationError("--webhook-first-retry: expected e.g. 5s") }
            config.webhookFirstRetrySeconds = seconds
        }
        if let workers = try self.workers ?? EnvironmentVariable.get("WORKERS").map({ try Self.integer($0, "--workers") }) {
            config.workers = workers
        }
        if let megabytes = try self.outputCacheMB ?? EnvironmentVariable.get("OUTPUT_CACHE_MB").map({ try Self.integer($0, "--output-cache-mb") }) {
            guard (0...(1 << 20)).contains(megabytes) else { throw ValidationError("--output-cache-mb: 0 to 1048576") }
            config.outputCacheBytes = megabytes << 20
        }
        config.requestsPerMinute =
            try Self.perMinute(self.requestsPerMinute, env: "REQUESTS_PER_MINUTE", option: "--requests-per-minute") ?? config.requestsPerMinute
        config.imagesPerMinute =
            try Self.perMinute(self.imagesPerMinute, env: "IMAGES_PER_MINUTE", option: "--images-per-minute") ?? config.imagesPerMinute
        config.catalogPath = self.catalog ?? EnvironmentVariable.get("CATALOG")
        config.metricsPort = try self.metricsPort ?? EnvironmentVariable.get("METRICS_PORT").map { try Self.integer($0, "--metrics-port") }
        config.metricsHost = self.metricsHost ?? EnvironmentVariable.get("METRICS_HOST") ?? config.metricsHost
        config.falKey = self.falKey ?? EnvironmentVariable.get("FAL_KEY") ?? ProcessInfo.processInfo.environment["FAL_KEY"]
        config.falQueueURL = self.falQueueURL ?? EnvironmentVariable.get("FAL_QUEUE_URL") ?? config.falQueueURL
        config.falGenerateEndpoint = self.falEndpointGenerate ?? EnvironmentVariable.get("FAL_ENDPOINT_GENERATE")
        config.falEditEndpoint = self.falEndpointEdit ?? EnvironmentVariable.get("FAL_ENDPOINT_EDIT")
        return config
    }

    /// On the very first start, create account `default` with $10.00 and print its key once, so the README's
    /// quickstart works by copy and paste.
    func createDefaultAccountIfFresh(_ config: AppConfiguration) async throws {
        var logger = Logger(label: "imagegate")
        logger.logLevel = .warning
        let environment = try await Environment.open(
            dataDirectory: config.dataDirectory,
            databasePath: config.databasePath,
            blobStore: config.blobStore,
            logger: logger
        )
        let accounts = AccountStore(database: environment.database)
        guard try await accounts.isEmpty() else {
            try await environment.database.close()
            return
        }
        let account = try await accounts.create(name: "default", credit: MicroUSD(micros: 10_000_000), note: "first-start credit")
        let (_, secret) = try await APIKeyStore(database: environment.database).create(accountID: account.id, label: "first-start key")
        try await environment.database.close()
        print(
            """
            ImageGate: first start. Created account 'default' with $10.00 of credit and this API key (shown once):

                export IMAGEGATE_API_KEY=\(secret)

            """
        )
        fflush(nil)
    }

    /// A server-wide rate limit from its option or its environment variable; nil when neither is set.
    static func perMinute(_ value: Int?, env: String, option: String) throws -> Int? {
        guard let perMinute = try value ?? EnvironmentVariable.get(env).map({ try Self.integer($0, option) }) else { return nil }
        guard RateLimit.settableRange.contains(perMinute) else {
            throw ValidationError("\(option): 0 (no limit) to \(RateLimit.settableRange.upperBound)")
        }
        return perMinute
    }

    static func integer(_ text: String, _ option: String) throws -> Int {
        guard let value = Int(text) else { throw ValidationError("\(option): '\(text)' is not an integer") }
        return value
    }
}
