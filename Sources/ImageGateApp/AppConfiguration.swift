import Storage

/// Everything `imagegate serve` can be told, with the documented defaults.
public struct AppConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./data"
    /// SQLite file path; nil means `<data dir>/imagegate.sqlite`.
    public var databasePath: String?
    /// Where outputs go; nil means `<data dir>/blobs`.
    public var blobStore: BlobStoreLocation?
    /// Who sends an output's bytes once its link is checked.
    public var outputDelivery = OutputDeliveryMode.proxy
    /// How long a `redirect` delivery's presigned link lives.
    public var redirectSeconds = 300
    /// The nginx `internal` location that `accel` delivery names (it maps onto the blob directory).
    public var accelPrefix = "/_imagegate_blobs/"
    /// Most connections to PostgreSQL (with a `postgres://` `databasePath`).
    public var databasePoolSize = 20
    /// Base of every `output_url`; nil means `http://HOST:PORT`.
    public var publicURL: String?
    public var outputRetentionSeconds: Int64 = 7 * 24 * 3600
    public var provider = "local"
    public var syncTimeoutSeconds: Int64 = 120
    /// A run's lease on a generation; renewed every third of it while the run lives.
    public var leaseSeconds: Int64 = 30
    /// Unset: the admin API is off.
    public var adminToken: String?
    public var allowPrivateImageURLs = false
    /// Let webhooks reach loopback and private addresses.
    public var allowPrivateWebhookURLs = false
    /// The first retry of a failed webhook (then doubling, up to an hour, for at least a day).
    public var webhookFirstRetrySeconds: Int64 = 5
    /// Generations run at once; nil: 4 for the CPU-bound local engine, 64 for fal (waiting on the network).
    public var workers: Int?
    public var maxBodyBytes = 150 << 20
    /// How long a request's head may take to arrive (a slow-loris client is cut off after it).
    public var headerTimeoutSeconds: Int64 = 30
    /// How long a whole request body may take to arrive.
    public var bodyTimeoutSeconds: Int64 = 300
    /// Rate limits for keys without their own, per minute (0: none).
    public var requestsPerMinute = 0
    public var imagesPerMinute = 0
    /// Memory for recently read outputs (0 turns the cache off).
    public var outputCacheBytes = 64 << 20
    public var janitorIntervalSeconds: Int64 = 60
    /// Where `GET /metrics` listens: its own address, loopback unless told otherwise; no port, no listener.
    public var metricsHost = "127.0.0.1"
    public var metricsPort: Int?
    /// The date expiry, leases and windows are judged against (tests move it by hand).
    public var clock: any WallClock = SystemClock()
    /// A catalog file to use instead of the built-in one.
    public var catalogPath: String?
    /// fal.ai (with `provider = "fal"`).
    public var falKey: String?
    public var falQueueURL = "https://queue.fal.run"
    /// nil: the catalog's endpoint for the model.
    public var falGenerateEndpoint: String?
    public var falEditEndpoint: String?

    public init() {}

    public var resolvedDatabasePath: String { self.databasePath ?? "\(self.dataDirectory)/imagegate.sqlite" }
    public var resolvedPublicURL: String { self.publicURL ?? "http://\(self.host):\(self.port)" }
    public var resolvedWorkers: Int { self.workers ?? (self.provider == "fal" ? 64 : 4) }
}
