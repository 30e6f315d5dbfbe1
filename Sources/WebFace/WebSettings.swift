/// What the pages say about this server beyond its catalog.
package struct WebSettings: Sendable {
    /// Where this server is reached, for the quickstart's snippets and the pages' image links.
    package var publicURL: String
    /// How long outputs are kept (`--output-retention`), for the model page's retention sentence.
    package var retentionSeconds: Int64
    /// Whether `/admin` exists (the server runs with `--admin-token`).
    package var adminEnabled: Bool
    /// The engine that draws the images (`local` or `fal`): the pages say so when it is the local stand-in.
    package var provider: String
    /// Other origins the pages' images come from: the object store's, when output links answer with a redirect to
    /// it (`--output-delivery redirect`); the pages' policy must let the browser follow the link there.
    package var imageOrigins: [String]
    /// Whether people may create accounts on `/signup` (`--signup` is not `closed` and mail is set up).
    package var signupOpen: Bool
    /// Whether "Add credit" opens Stripe Checkout (the server has Stripe settings); otherwise the account page says
    /// to ask the operator.
    package var cardPayments: Bool

    package init(
        publicURL: String,
        retentionSeconds: Int64,
        adminEnabled: Bool,
        provider: String = "local",
        imageOrigins: [String] = [],
        signupOpen: Bool = false,
        cardPayments: Bool = false
    ) {
        self.signupOpen = signupOpen
        self.cardPayments = cardPayments
        self.publicURL = publicURL
        self.retentionSeconds = retentionSeconds
        self.adminEnabled = adminEnabled
        self.provider = provider
        self.imageOrigins = imageOrigins
    }
}
