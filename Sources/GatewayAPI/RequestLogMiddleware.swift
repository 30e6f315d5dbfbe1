import Billing
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// The access log: one line per request once it is answered, through `context.logger` (so it carries the request
/// id): method, path, status, latency, response bytes, the client's address, the API key's prefix, user agent.
///
/// Hummingbird's `LogRequestsMiddleware` logs the whole URI, and an output link's query holds its signature: a
/// capability that lets anyone holding it download the image for seven days. Logs are read by more people than the
/// links are meant for, so the `sig` value is replaced here. The API key never appears: only its first
/// `APIKeyStore.prefixLength` characters, the prefix `imagegate keys list` shows, and only for a token shaped like
/// one of ImageGate's keys (an admin token or anything else sent by mistake is not cut into the log). Bodies are
/// never logged. The latency is until the answer's head is ready; a streamed body goes on after it.
struct RequestLogMiddleware<Context: PeerAddressContext>: RouterMiddleware {
    /// Query parameters whose values are capabilities.
    static var secretQueryNames: Set<String> { ["sig"] }

    let trustedProxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "hb.request.method": .string(request.method.rawValue),
            "hb.request.path": .string(Self.redacted(path: request.uri.path, query: request.uri.query)),
        ]
        if let agent = request.headers[.userAgent] { metadata["user_agent"] = .string(agent) }
        if let length = request.headers[.contentLength] { metadata["content_length"] = .string(length) }
        if let client = self.trustedProxies.client(peer: context.peerAddress, forwardedFor: request.headers[values: .xForwardedFor]) {
            metadata["client"] = .string(client)
        }
        if let prefix = Self.keyPrefix(request.headers[.authorization]) { metadata["key_prefix"] = .string(prefix) }
        func log(_ status: Int, bytes: Int?) {
            let elapsed = ContinuousClock.now - started
            metadata["status"] = .stringConvertible(status)
            let millis = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            metadata["latency_ms"] = .stringConvertible((millis * 1000).rounded() / 1000)
            if let bytes { metadata["bytes"] = .stringConvertible(bytes) }
            context.logger.info("request", metadata: metadata)
        }
        do {
            let response = try await next(request, context)
            log(Int(response.status.code), bytes: response.body.contentLength ?? response.headers[.contentLength].flatMap { Int($0) })
            return response
        } catch {
            log(Int((error as? any HTTPResponseError)?.status.code ?? 500), bytes: nil)
            throw error
        }
    }

    /// The prefix of a bearer token shaped like an ImageGate key (`ig_…`), as `imagegate keys list` shows it.
    static func keyPrefix(_ authorization: String?) -> String? {
        guard let authorization, authorization.lowercased().hasPrefix("bearer ") else { return nil }
        let token = authorization.dropFirst("bearer ".count).trimmingCharacters(in: .whitespaces)
        guard token.hasPrefix("ig_"), token.count > APIKeyStore.prefixLength else { return nil }
        return String(token.prefix(APIKeyStore.prefixLength))
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

/// A request context that knows the address of the connection's peer (the client, or the proxy in front of it).
protocol PeerAddressContext: RequestContext {
    var peerAddress: String? { get }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
}
