import Foundation
import Hummingbird
import Logging

/// Logs one line per request (method, path, user agent) through `context.logger`, so it carries the request id.
///
/// Hummingbird's `LogRequestsMiddleware` logs the whole URI, and an output link's query holds its signature: a
/// capability that lets anyone holding it download the image for seven days. Logs are read by more people than the
/// links are meant for, so the `sig` value is replaced here; the API key never appears (headers other than the user
/// agent and length are not logged, and bodies never are).
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Query parameters whose values are capabilities.
    static var secretQueryNames: Set<String> { ["sig"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var metadata: Logger.Metadata = [
            "hb.request.method": .string(request.method.rawValue),
            "hb.request.path": .string(Self.redacted(path: request.uri.path, query: request.uri.query)),
        ]
        if let agent = request.headers[.userAgent] { metadata["user_agent"] = .string(agent) }
        if let length = request.headers[.contentLength] { metadata["content_length"] = .string(length) }
        context.logger.info("Request", metadata: metadata)
        return try await next(request, context)
    }

    /// The path and query as sent, with the value of every secret query parameter replaced by `***`.
    static func redacted(path: String, query: String?) -> String {
        guard let query, !query.isEmpty else { return path }
        let items = query.split(separator: "&", omittingEmptySubsequences: false).map { item -> String in
            let name = item.prefix { $0 != "=" }
            // Compared decoded, as the router reads it: `%73ig=` is still the signature.
            let decoded = String(name).removingPercentEncoding ?? String(name)
            return Self.secretQueryNames.contains(decoded) && name.count < item.count ? "\(name)=***" : String(item)
        }
        return path + "?" + items.joined(separator: "&")
    }
}
