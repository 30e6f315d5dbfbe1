import Mustache

/// The pages' Mustache templates, compiled into the binary. `{{value}}` escapes HTML, so a prompt, an account name
/// or a catalog text is always shown as text; the templates never use the unescaped `{{{…}}}` form.
enum WebTemplates {
    static let sources: [(name: String, bytes: [UInt8])] = [
        ("layout", PackageResources.layout_mustache),
        ("key", PackageResources.key_mustache),
        ("models", PackageResources.models_mustache),
        ("model", PackageResources.model_mustache),
        ("playground", PackageResources.playground_mustache),
        ("account", PackageResources.account_mustache),
        ("admin", PackageResources.admin_mustache),
        ("notfound", PackageResources.notfound_mustache),
        ("generation", PackageResources.generation_mustache),
        ("docs", PackageResources.docs_mustache),
        ("markdown", PackageResources.markdown_mustache),
        ("spans", PackageResources.spans_mustache),
        ("auth", PackageResources.auth_mustache),
    ]

    /// Every template, parsed once. They are part of the binary: one that does not parse is a build mistake, which
    /// `WebPagesTests` catches by rendering every page.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in Self.sources {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                preconditionFailure("the web template '\(name)' does not parse: \(error)")
            }
        }
        return library
    }()

    static func render(_ page: some Sendable, template: String) -> String {
        guard let html = Self.library.render(page, withTemplate: template) else {
            preconditionFailure("no web template named '\(template)'")
        }
        return html
    }
}
