/// Everything `imagegate serve` can be told, with the documented defaults.
public struct AppConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./data"
    /// SQLite file path; nil means `<data dir>/imagegate.sqlite`.
    public var databasePath: String?
    /// Base of every `output_url`; nil means `http://HOST:PORT`.
    public var publicURL: String?
    public var outputRetentionSeconds: Int64 = 7 * 24 * 3600
    public var provider = "local"
    public var syncTimeoutSeconds: Int64 = 120
    /// Unset: the admin API is off.
    public var adminToken: String?
    public var allowPrivateImageURLs = false
    public var workers = 4
    public var maxBodyBytes = 150 << 20
    public var janitorIntervalSeconds: Int64 = 60
    /// A catalog file to use instead of the built-in one.
    public var catalogPath: String?

    public init() {}

    public var resolvedDatabasePath: String { self.databasePath ?? "\(self.dataDirectory)/imagegate.sqlite" }
    public var resolvedPublicURL: String { self.publicURL ?? "http://\(self.host):\(self.port)" }
}
