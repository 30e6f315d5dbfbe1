/// What the pages say about this server beyond its catalog.
public struct WebSettings: Sendable {
    /// Where this server is reached, for the quickstart's snippets and the pages' image links.
    public var publicURL: String
    /// How long outputs are kept (`--output-retention`), for the model page's retention sentence.
    public var retentionSeconds: Int64
    /// Whether `/admin` exists (the server runs with `--admin-token`).
    public var adminEnabled: Bool
    /// The engine that draws the images (`local` or `fal`): the pages say so when it is the local stand-in.
    public var provider: String

    public init(publicURL: String, retentionSeconds: Int64, adminEnabled: Bool, provider: String = "local") {
        self.publicURL = publicURL
        self.retentionSeconds = retentionSeconds
        self.adminEnabled = adminEnabled
        self.provider = provider
    }
}
