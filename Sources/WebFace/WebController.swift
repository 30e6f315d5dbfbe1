import Catalog
import Foundation
import HTTPTypes
import Hummingbird

/// The web face's routes: `/` (to the catalogue), `/models`, `/models/{vendor}/{model}`, `/playground`, `/account`,
/// `/generations/{id}`, `/docs`, `/admin` (only with an admin token) and `/assets/{hashed name}`. Pages hold no secrets and no account data: their
/// scripts call the public JSON API with the key the person typed in, so there is no second API for the web.
package struct WebController<Context: RequestContext>: Sendable {
    let pages: WebPages
    /// A model's last day from the books (nil: not known; the page then leaves the panel out).
    let uptime: @Sendable (_ model: String) async -> ModelHealth?
    /// The email of the person signed in with the request's session cookie, or nil: the navigation says who is
    /// signed in, and the account page manages their keys.
    let viewer: @Sendable (Request) async -> String?

    package init(
        pages: WebPages,
        uptime: @escaping @Sendable (_ model: String) async -> ModelHealth? = { _ in nil },
        viewer: @escaping @Sendable (Request) async -> String? = { _ in nil }
    ) {
        self.pages = pages
        self.uptime = uptime
        self.viewer = viewer
    }

    /// The pages as the request's person sees them.
    package func pages(for request: Request) async -> WebPages {
        self.pages.for(viewer: await self.viewer(request))
    }

    package func addRoutes(to router: Router<Context>) {
        router.get("/") { _, _ in Response(status: .found, headers: [.location: "/models"]) }
        router.get("/models") { request, _ in
            self.page(await self.pages(for: request).models(tag: request.uri.queryParameters["tag"].map(String.init)))
        }
        router.get("/models/:vendor/:model") { request, context in
            // Path segments arrive percent-encoded.
            let vendor = context.parameters.get("vendor").map { $0.removingPercentEncoding ?? $0 } ?? ""
            let id = context.parameters.get("model").map { $0.removingPercentEncoding ?? $0 } ?? ""
            // Only a model of the catalog is looked up: the page is public, and its figures are kept per model.
            let uptime = self.pages.catalog.model(id)?.vendor == vendor ? await self.uptime(id) : nil
            guard let html = await self.pages(for: request).model(vendor: vendor, id: id, uptime: uptime) else {
                return self.page(self.pages.notFound("There is no model \(vendor)/\(id) here."), status: .notFound)
            }
            return self.page(html)
        }
        // The model's id without its vendor, as the API takes it: the page's address is one click away. (The segment
        // has the vendor's name in the router: one parameter name per position.)
        router.get("/models/:vendor") { _, context in
            let id = context.parameters.get("vendor").map { $0.removingPercentEncoding ?? $0 } ?? ""
            guard let path = self.pages.modelPath(id: id) else {
                return self.page(self.pages.notFound("There is no model \(id) here."), status: .notFound)
            }
            return Response(status: .movedPermanently, headers: [.location: path])
        }
        // Browsers ask for it whatever the page says.
        router.get("/favicon.ico") { _, _ in
            Response(status: .movedPermanently, headers: [.location: self.pages.assets.path("favicon.svg")])
        }
        router.get("/playground") { request, _ in
            self.page(await self.pages(for: request).playground(selecting: request.uri.queryParameters["model"].map(String.init)))
        }
        router.get("/docs") { request, _ in
            await self.pages(for: request).docs().map { self.page($0) }
                ?? self.page(self.pages.notFound("There is no API reference here."), status: .notFound)
        }
        router.get("/account") { request, _ in self.page(await self.pages(for: request).account()) }
        // The id is read by the page's script from its address; the page itself is the same for every id.
        router.get("/generations/:id") { request, _ in self.page(await self.pages(for: request).generation()) }
        if self.pages.settings.adminEnabled {
            router.get("/admin") { request, _ in self.page(await self.pages(for: request).admin()) }
        }
        router.get("/assets/:file") { request, context in self.asset(request, file: context.parameters.get("file") ?? "") }
        router.head("/assets/:file") { request, context in self.asset(request, file: context.parameters.get("file") ?? "") }
    }

    /// The not-found page for a browser that navigated to an address no route has (it asks for HTML and the path is
    /// not the API's, whose clients get the JSON error); nil for everyone else.
    package func notFoundPage(for request: Request) -> Response? {
        let path = request.uri.path
        guard request.method == .get || request.method == .head,
            !path.hasPrefix("/v1/"), !path.hasPrefix("/admin/v1/"),
            request.headers[.accept]?.contains("text/html") == true
        else { return nil }
        return self.page(self.pages.notFound("There is no page at \(path)."), status: .notFound)
    }

    /// A page: HTML that is always revalidated (it names the current assets), with a policy that lets only the
    /// binary's own scripts run and keeps output links (which carry a signature) out of `Referer` headers.
    package func page(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = PageHeaders.security(self.pages.settings)
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// An asset under its hashed name: cached for a year, with a strong ETag for `If-None-Match`.
    func asset(_ request: Request, file: String) -> Response {
        guard let asset = self.pages.assets.asset(hashedName: file) else {
            return self.page(self.pages.notFound("There is no file \(file) here."), status: .notFound)
        }
        var headers = PageHeaders.security(self.pages.settings)
        headers[.contentType] = asset.contentType
        headers[.cacheControl] = "public, max-age=31536000, immutable"
        headers[.eTag] = asset.etag
        if let match = request.headers[.ifNoneMatch],
            match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == asset.etag })
        {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(asset.bytes.count)
        let body: ResponseBody = request.method == .head ? .init() : .init(byteBuffer: ByteBuffer(bytes: asset.bytes))
        return Response(status: .ok, headers: headers, body: body)
    }
}

/// The security headers of every page and asset.
package enum PageHeaders {
    static func security(_ settings: WebSettings) -> HTTPFields {
        // Output links use the public URL, which may be another origin than the one the page was opened on; in
        // redirect delivery they answer with a redirect to the object store, whose origin the image must load from.
        let origins = ([settings.publicURL] + settings.imageOrigins).compactMap(Self.origin)
        let images = (["'self'", "data:", "blob:"] + origins).joined(separator: " ")
        let policy = [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src \(images)",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ].joined(separator: "; ")
        return [
            .contentSecurityPolicy: policy,
            .referrerPolicy: "no-referrer",
            .xContentTypeOptions: "nosniff",
        ]
    }

    /// `https://host:port` of a URL, or nil when it has none.
    package static func origin(_ url: String) -> String? {
        guard let scheme = url.range(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return host.isEmpty ? nil : String(url[..<scheme.upperBound] + host)
    }
}

extension HTTPField.Name {
    /// `Referrer-Policy`, which swift-http-types does not name.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
