import Catalog
import Foundation

/// What every page shares: its title, the stylesheet, its script module and the navigation.
struct Chrome: Sendable {
    let title: String
    let stylesheet: String
    let favicon: String
    let script: String?
    /// The Copy buttons of code blocks: on every page.
    let copyScript: String
    let adminEnabled: Bool
    let current: String
    /// The server draws with its local stand-in engine, not the model: pages that show results say so.
    let localEngine: Bool
    /// The signed-in person's email (the navigation offers sign-out), or nil (it offers sign-in).
    let viewer: String?
    /// The navigation offers "Sign up".
    let signupOpen: Bool
    /// "Add credit" opens Stripe Checkout.
    let cardPayments: Bool

    var atModels: Bool { self.current == "models" }
    var atPlayground: Bool { self.current == "playground" }
    var atAccount: Bool { self.current == "account" }
    var atAdmin: Bool { self.current == "admin" }
    var atAuth: Bool { self.current == "auth" }
}

/// A tag of the catalogue's filter.
struct TagFilter: Sendable {
    let name: String
    let href: String
    let selected: Bool
}

/// `/models`: every model, or those with one tag.
struct ModelsPage: Sendable {
    let chrome: Chrome
    let tags: [TagFilter]
    let tag: String?
    let models: [ModelView]
}

/// `/models/{vendor}/{model}`: the product page, generated from the catalog.
struct ModelPage: Sendable {
    let chrome: Chrome
    let model: ModelView
    let modes: [ModeView]
    let quickstart: Quickstart
    let responseExample: String
    let retention: String
    let uptime: UptimeView?
    /// The catalog's example prompts, each a link into the playground.
    let examples: [ExamplePromptView]
    /// Stored, not computed: templates read a value's stored properties only.
    let hasExamples: Bool
}

/// A model in the playground's model picker.
struct PlaygroundOption: Sendable {
    let id: String
    let displayName: String
    let selected: Bool
}

/// `/playground`: the form; its rules come from `modelsJSON`, the same catalog entries the validator reads.
struct PlaygroundPage: Sendable {
    let chrome: Chrome
    let models: [PlaygroundOption]
    let modelsJSON: String
}

/// `/docs`: the API reference.
struct DocsPage: Sendable {
    let chrome: Chrome
    let reference: APIReference
}

/// `/account`, `/admin` and the not-found page: their content is filled in by their script from the JSON API.
struct PlainPage: Sendable {
    let chrome: Chrome
    let message: String
}

/// The catalog entries as the playground's script reads them (prices in integer micro-USD, so the cost line is exact).
struct PlaygroundModel: Encodable {
    let id: String
    let displayName: String
    let pricePerImageMicros: Int64
    let modes: [String]
    let parameters: ModelSpec.Parameters
    let referenceImages: ModelSpec.ReferenceImageRules
    /// For "Show code": the openai SDK's `size` is the picture's pixels, not a tier and a ratio.
    let pixelSizes: [String: [String: [Int]]]

    enum CodingKeys: String, CodingKey {
        case id, modes, parameters
        case displayName = "display_name"
        case pricePerImageMicros = "price_per_image_micros"
        case referenceImages = "reference_images"
        case pixelSizes = "pixel_sizes"
    }

    init(_ spec: ModelSpec) {
        self.id = spec.id
        self.displayName = spec.displayName
        self.pricePerImageMicros = spec.pricePerImageMicros
        self.modes = spec.modes
        self.parameters = spec.parameters
        self.referenceImages = spec.referenceImages
        self.pixelSizes = spec.pixelSizes
    }
}

/// Renders each page of the web face from the catalog and the server's settings.
package struct WebPages: Sendable {
    let catalog: ModelCatalog
    let settings: WebSettings
    package let assets: WebAssets
    /// Who the page is drawn for: the email of the session's person, or nil. Set per request (`for(viewer:)`).
    package var viewer: String?

    /// `/docs`, from the OpenAPI document the server serves; nil without one.
    let reference: APIReference?

    /// `openAPI`: the JSON of `GET /openapi.json`, which `/docs` renders.
    package init(catalog: ModelCatalog, settings: WebSettings, assets: WebAssets = WebAssets(), openAPI: [UInt8] = []) {
        self.catalog = catalog
        self.settings = settings
        self.assets = assets
        self.reference = APIReference(json: openAPI)
    }

    /// These pages drawn for `viewer` (nil: nobody is signed in).
    package func `for`(viewer: String?) -> WebPages {
        var pages = self
        pages.viewer = viewer
        return pages
    }

    func chrome(_ title: String, current: String, script: String? = nil) -> Chrome {
        Chrome(
            title: title,
            stylesheet: self.assets.path("site.css"),
            favicon: self.assets.path("favicon.svg"),
            script: script.map(self.assets.path),
            copyScript: self.assets.path("copy.js"),
            adminEnabled: self.settings.adminEnabled,
            current: current,
            localEngine: self.settings.provider == "local",
            viewer: self.viewer,
            signupOpen: self.settings.signupOpen,
            cardPayments: self.settings.cardPayments
        )
    }

    func models(tag: String?) -> String {
        let allTags = self.catalog.models.flatMap(\.tags).reduce(into: [String]()) { tags, tag in
            if !tags.contains(tag) { tags.append(tag) }
        }
        let shown = self.catalog.models.filter { model in tag.map { model.tags.contains($0) } ?? true }
        let page = ModelsPage(
            chrome: self.chrome("Models", current: "models"),
            tags: allTags.map { TagFilter(name: $0, href: "/models?tag=\(ModelView.segment($0))", selected: $0 == tag) },
            tag: tag,
            models: shown.map(ModelView.init)
        )
        return WebTemplates.render(page, template: "models")
    }

    /// The model page, or nil when no model of the catalog has this vendor and id.
    /// Where the page of the model with API id `id` is (`/models/{vendor}/{id}`).
    func modelPath(id: String) -> String? {
        self.catalog.model(id).map { ModelView($0).path }
    }

    func model(vendor: String, id: String, uptime: ModelHealth? = nil) -> String? {
        guard let spec = self.catalog.model(id), spec.vendor == vendor else { return nil }
        let page = ModelPage(
            chrome: self.chrome(spec.displayName, current: "models", script: "tabs.js"),
            model: ModelView(spec),
            modes: spec.modes.map { ModeView(model: spec, mode: $0) },
            quickstart: Quickstart(model: spec, publicURL: self.settings.publicURL),
            responseExample: ResponseExample.json(model: spec, publicURL: self.settings.publicURL),
            retention: RetentionText.words(seconds: self.settings.retentionSeconds),
            uptime: uptime.map(UptimeView.init),
            examples: ExamplePromptView.all(of: spec),
            hasExamples: !(spec.examplePrompts ?? []).isEmpty
        )
        return WebTemplates.render(page, template: "model")
    }

    func playground(selecting id: String?) -> String {
        let selected = id.flatMap { self.catalog.model($0)?.id } ?? self.catalog.models.first?.id
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(self.catalog.models.map(PlaygroundModel.init))).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
        let page = PlaygroundPage(
            chrome: self.chrome("Playground", current: "playground", script: "playground.js"),
            models: self.catalog.models.map { PlaygroundOption(id: $0.id, displayName: $0.displayName, selected: $0.id == selected) },
            modelsJSON: json
        )
        return WebTemplates.render(page, template: "playground")
    }

    func account() -> String {
        WebTemplates.render(PlainPage(chrome: self.chrome("Account", current: "account", script: "account.js"), message: ""), template: "account")
    }

    func generation() -> String {
        WebTemplates.render(
            PlainPage(chrome: self.chrome("Generation", current: "account", script: "generation.js"), message: ""),
            template: "generation"
        )
    }

    /// The API reference, or nil when the server was given no OpenAPI document.
    func docs() -> String? {
        self.reference.map { WebTemplates.render(DocsPage(chrome: self.chrome("API reference", current: "docs"), reference: $0), template: "docs") }
    }

    func admin() -> String {
        WebTemplates.render(PlainPage(chrome: self.chrome("Admin", current: "admin", script: "admin.js"), message: ""), template: "admin")
    }

    func notFound(_ message: String) -> String {
        WebTemplates.render(PlainPage(chrome: self.chrome("Not found", current: ""), message: message), template: "notfound")
    }
}
