import Crypto
import Essentials
import Foundation

/// One file the pages load — a script module or the stylesheet — served under a name that carries a hash of its
/// content, so browsers may cache it for a year: a new build changes the name, never what is behind a name.
package struct WebAsset: Sendable {
    /// The name the sources use, `playground.js`.
    package let name: String
    /// The name it is served under, `playground.3f2a1b9c0d4e.js`.
    package let hashedName: String
    package let contentType: String
    package let bytes: [UInt8]
    /// A strong entity tag: the content hash.
    package let etag: String
}

/// Every asset of the web face, compiled into the binary (no CDN, no build step). Script modules import their
/// siblings as `./common.js`; those imports are rewritten to the siblings' hashed names, so that a changed
/// `common.js` also renames every page script that imports it.
package struct WebAssets: Sendable {
    private let byHashedName: [String: WebAsset]
    private let hashedNames: [String: String]

    /// Leaves first: a module's imports must be hashed before the module itself.
    static let sources: [(name: String, bytes: [UInt8])] = [
        ("site.css", PackageResources.site_css),
        ("favicon.svg", PackageResources.favicon_svg),
        ("common.js", PackageResources.common_js),
        ("copy.js", PackageResources.copy_js),
        ("charts.js", PackageResources.charts_js),
        ("tabs.js", PackageResources.tabs_js),
        ("snippets.js", PackageResources.snippets_js),
        ("history.js", PackageResources.history_js),
        ("playground.js", PackageResources.playground_js),
        ("account-manage.js", PackageResources.account_manage_js),
        ("account.js", PackageResources.account_js),
        ("generation.js", PackageResources.generation_js),
        ("admin.js", PackageResources.admin_js),
    ]

    package init() {
        var byHashedName: [String: WebAsset] = [:]
        var hashedNames: [String: String] = [:]
        for (name, bytes) in Self.sources {
            var text = String(decoding: bytes, as: UTF8.self)
            for (plain, hashed) in hashedNames where name.hasSuffix(".js") {
                text = text.replacingOccurrences(of: "\"./\(plain)\"", with: "\"./\(hashed)\"")
            }
            let content = Array(text.utf8)
            let digest = Hex.string(SHA256.hash(data: content).prefix(6))
            let dot = name.lastIndex(of: ".")!
            let hashedName = "\(name[..<dot]).\(digest)\(name[dot...])"
            let type =
                name.hasSuffix(".css")
                ? "text/css; charset=utf-8" : name.hasSuffix(".svg") ? "image/svg+xml" : "text/javascript; charset=utf-8"
            byHashedName[hashedName] = WebAsset(name: name, hashedName: hashedName, contentType: type, bytes: content, etag: "\"\(digest)\"")
            hashedNames[name] = hashedName
        }
        self.byHashedName = byHashedName
        self.hashedNames = hashedNames
    }

    /// The asset served under `hashedName`, if any.
    package func asset(hashedName: String) -> WebAsset? { self.byHashedName[hashedName] }

    /// The URL path of an asset named as in the sources (`/assets/site.1a2b3c4d5e6f.css`).
    package func path(_ name: String) -> String {
        guard let hashed = self.hashedNames[name] else { preconditionFailure("no web asset named \(name)") }
        return "/assets/\(hashed)"
    }
}
