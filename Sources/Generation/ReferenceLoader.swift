import AsyncHTTPClient
import Catalog
import Foundation
import Imaging
import NIOCore
import NIOHTTP1
import NIOPosix
import Outbound
import Providers

/// Fetches and validates the reference images of an edit request, before any money is held.
///
/// Web URLs are fetched with a size cap and a timeout, only over http/https, and only to public addresses unless
/// the operator allows private ones; redirects are followed by hand (at most 3) so each hop is checked the same way.
/// Every image is then decoded and checked against the model's rules; a failure names its index.
package struct ReferenceLoader: Sendable {
    let addressPolicy: AddressPolicy
    let timeout: TimeAmount
    let threadPool: NIOThreadPool
    let limiter: FetchLimiter

    package init(
        allowPrivateAddresses: Bool,
        resolver: any HostResolver = SystemResolver(),
        timeout: TimeAmount = .seconds(15),
        threadPool: NIOThreadPool = .singleton,
        limiter: FetchLimiter = FetchLimiter()
    ) {
        self.addressPolicy = AddressPolicy(allowPrivate: allowPrivateAddresses, resolver: resolver)
        self.timeout = timeout
        self.threadPool = threadPool
        self.limiter = limiter
    }

    /// Loads every reference, in order, concurrently. Refusals name the reference `list[index]`, with the list named
    /// as the caller named it.
    /// `caller` (an API key or account id) shares the fetch limiter's per-caller bound.
    package func load(
        _ sources: [String],
        rules: ModelSpec.ReferenceImageRules,
        list: String = "image_urls",
        caller: String = ""
    ) async throws(RequestError) -> [ReferenceImage] {
        do {
            return try await withThrowingTaskGroup(of: (Int, ReferenceImage).self) { group in
                for (index, source) in sources.enumerated() {
                    group.addTask { (index, try await self.load(source, param: "\(list)[\(index)]", rules: rules, caller: caller)) }
                }
                var loaded: [ReferenceImage?] = Array(repeating: nil, count: sources.count)
                for try await (index, image) in group { loaded[index] = image }
                return loaded.compactMap { $0 }
            }
        } catch let error as RequestError {
            throw error
        } catch {
            throw RequestError.invalid(list, "The reference images could not be loaded.")
        }
    }

    func load(_ source: String, param: String, rules: ModelSpec.ReferenceImageRules, caller: String) async throws(RequestError)
        -> ReferenceImage
    {
        guard let parsed = ReferenceSource(source) else { throw .invalid(param, "\(param) must be an http(s) URL or a data:image/...;base64, URI.") }
        let bytes: [UInt8]
        switch parsed {
        case .inline(_, let base64):
            guard base64.utf8.count / 4 * 3 <= rules.maxBytes + 3 else { throw .invalid(param, "\(param) is larger than \(rules.maxBytes) bytes.") }
            // Up to a few megabytes of text: decoded on the blocking pool, not on the event loop this task runs on.
            let text = String(base64)
            let attempt = try? await self.threadPool.runIfActive { Data(base64Encoded: text, options: .ignoreUnknownCharacters).map { [UInt8]($0) } }
            guard let decoded = attempt ?? nil else { throw .invalid(param, "\(param) is not valid base64.") }
            bytes = decoded
        case .web(let url):
            let outcome = await self.limiter.withSlot(for: caller) { () -> Result<[UInt8], RequestError> in
                do throws(RequestError) { return .success(try await self.fetch(url, param: param, maxBytes: rules.maxBytes)) } catch {
                    return .failure(error)
                }
            }
            bytes = try outcome.get()
        }
        guard bytes.count <= rules.maxBytes else { throw .invalid(param, "\(param) is larger than \(rules.maxBytes) bytes.") }
        let probe = try await self.validate(bytes, param: param, rules: rules)
        return ReferenceImage(source: source, bytes: bytes, probe: probe)
    }

    func validate(_ bytes: [UInt8], param: String, rules: ModelSpec.ReferenceImageRules) async throws(RequestError) -> ImageProbe {
        let outcome: Result<ImageProbe, ImagingError>
        do {
            outcome = try await self.threadPool.runIfActive { () -> Result<ImageProbe, ImagingError> in
                do throws(ImagingError) {
                    let header = try ImageProbe.inspect(bytes, decodePixels: false)
                    // Size limits are checked on the header before a single pixel is decoded.
                    guard header.width * header.height <= rules.maxPixels else { return .success(header) }
                    return .success(try ImageProbe.inspect(bytes, decodePixels: true))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw .invalid(param, "\(param) could not be decoded.")
        }
        let probe: ImageProbe
        switch outcome {
        case .success(let value): probe = value
        case .failure(.unsupportedFormat): throw .invalid(param, "\(param) must be a JPEG, PNG or WebP image.")
        case .failure: throw .invalid(param, "\(param) is not a valid image (it could not be decoded).")
        }
        guard rules.formats.contains(probe.format.rawValue) else { throw .invalid(param, "\(param) must be a JPEG, PNG or WebP image.") }
        guard probe.width >= rules.minSide && probe.height >= rules.minSide else {
            throw .invalid(param, "\(param) is \(probe.width)×\(probe.height); each side must be at least \(rules.minSide) pixels.")
        }
        let ratio = Double(probe.width) / Double(probe.height)
        guard ratio >= rules.minAspectRatio && ratio <= rules.maxAspectRatio else {
            throw .invalid(param, "\(param) has an aspect ratio of \(probe.width):\(probe.height); it must be between 1:16 and 16:1.")
        }
        guard probe.width * probe.height <= rules.maxPixels else {
            throw .invalid(param, "\(param) has \(probe.width * probe.height) pixels; at most \(rules.maxPixels) are accepted.")
        }
        return probe
    }

    func fetch(_ start: URL, param: String, maxBytes: Int) async throws(RequestError) -> [UInt8] {
        var url = start
        for _ in 0...3 {
            let target: (host: String, address: String)
            do {
                target = try await self.addressPolicy.target(of: url, on: self.threadPool)
            } catch {
                switch error {
                case .notHTTP: throw .invalid(param, "\(param) redirected to a URL that is not http(s).")
                case .unresolvable(let host): throw .invalid(param, "\(param): the host \(host) could not be resolved.")
                case .notPublic: throw .invalid(param, "\(param) points to a private or local network address, which is not allowed.")
                }
            }
            switch try await self.fetchOnce(url, host: target.host, address: target.address, param: param, maxBytes: maxBytes) {
            case .image(let bytes): return bytes
            case .redirect(let next): url = next
            }
        }
        throw .invalid(param, "\(param) redirected too many times.")
    }

    /// One hop's answer.
    enum Hop {
        case image([UInt8])
        case redirect(URL)
    }

    /// Fetches `url` from exactly `address`, the one the policy checked: a client of its own maps the name to it
    /// (AsyncHTTPClient's DNS override), so the `Host` header and TLS (SNI and certificate) keep the name while no
    /// second lookup happens. Reference fetches are few, so a connection per fetch costs nothing that matters.
    ///
    /// `timeout` bounds the whole hop, body included: AsyncHTTPClient's own deadline ends with the response head, so
    /// a server trickling one byte a second would otherwise hold the connection and a limiter slot for ever. When
    /// the deadline passes first, the hop's client is shut down, which fails the transfer wherever it is.
    func fetchOnce(_ url: URL, host: String, address: String, param: String, maxBytes: Int) async throws(RequestError) -> Hop {
        var configuration = HTTPClient.Configuration.outbound(readTimeout: min(self.timeout, .seconds(10)))
        configuration.dnsOverride = [host: address]
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let timedOut = RequestError.invalid(param, "\(param) could not be fetched (timed out).")
        let outcome = await withTaskGroup(of: Result<Hop, RequestError>?.self) { group in
            group.addTask { [timeout] in
                do {
                    return .success(try await Self.get(url, with: client, param: param, maxBytes: maxBytes, timeout: timeout))
                } catch let error as RequestError {
                    return .failure(error)
                } catch {
                    return .failure(.invalid(param, "\(param) could not be fetched (\(Self.describe(error)))."))
                }
            }
            group.addTask { [timeout] in
                try? await Task.sleep(for: .nanoseconds(timeout.nanoseconds))
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            guard let first else {
                // The deadline won: shutting the client down ends the transfer even if it ignores cancellation.
                try? await client.shutdown()
                return Result<Hop, RequestError>.failure(timedOut)
            }
            return first
        }
        try? await client.shutdown()
        return try outcome.get()
    }

    static func get(_ url: URL, with client: HTTPClient, param: String, maxBytes: Int, timeout: TimeAmount) async throws -> Hop {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.headers.add(name: "User-Agent", value: "ImageGate/1 (reference fetcher)")
        request.headers.add(name: "Accept", value: "image/png, image/jpeg, image/webp")
        let response = try await client.execute(request, timeout: timeout)
        if (300..<400).contains(response.status.code), let location = response.headers.first(name: "location"),
            let next = URL(string: location, relativeTo: url)?.absoluteURL
        {
            return .redirect(next)
        }
        guard response.status == .ok else {
            throw RequestError.invalid(param, "\(param) could not be fetched: the server answered HTTP \(response.status.code).")
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > maxBytes {
            throw RequestError.invalid(param, "\(param) is larger than \(maxBytes) bytes.")
        }
        do {
            return .image(Array(try await response.body.collect(upTo: maxBytes).readableBytesView))
        } catch is NIOTooManyBytesError {
            throw RequestError.invalid(param, "\(param) is larger than \(maxBytes) bytes.")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError, error == .deadlineExceeded || error == .readTimeout { return "timed out" }
        return "connection failed"
    }
}
