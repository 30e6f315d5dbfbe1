import Foundation
import NIOPosix

/// Turns a host name into the addresses it points to. The live one asks the system (`getaddrinfo`); tests answer
/// what a hostile DNS server would (a public address first, loopback after).
package protocol HostResolver: Sendable {
    func addresses(of host: String) throws -> [String]
}

/// The system's resolver.
package struct SystemResolver: HostResolver {
    package init() {}

    package func addresses(of host: String) throws -> [String] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, nil, &hints, &result)
        guard rc == 0, let first = result else { throw URLError(.cannotFindHost) }
        defer { freeaddrinfo(first) }
        var addresses: [String] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor {
            var buffer = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            if getnameinfo(entry.pointee.ai_addr, entry.pointee.ai_addrlen, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 {
                addresses.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            cursor = entry.pointee.ai_next
        }
        return addresses
    }
}

/// Decides which network addresses reference-image fetches may reach. By default only public unicast addresses:
/// loopback, private, link-local (including the 169.254.169.254 metadata service), carrier-grade NAT, multicast,
/// reserved ranges and IPv6 forms that embed or translate to IPv4 are refused, so a user cannot make ImageGate probe
/// its own network.
///
/// The name is resolved once per hop and the connection is made to exactly the address that was checked (see
/// `ReferenceLoader`): a DNS answer that changes between the check and the connection (rebinding) changes nothing.
package struct AddressPolicy: Sendable {
    package let allowPrivate: Bool
    let resolver: any HostResolver

    package init(allowPrivate: Bool, resolver: any HostResolver = SystemResolver()) {
        self.allowPrivate = allowPrivate
        self.resolver = resolver
    }

    /// What the policy says about a host: connect to this address, or refused because of that one.
    enum Decision: Equatable {
        case connect(to: String)
        case refused(String)
    }

    /// Resolves `host` once. Refused when any of its addresses is not public (unless private ones are allowed);
    /// otherwise the first address is the one to connect to.
    func decide(host: String) throws -> Decision {
        let addresses = try self.resolver.addresses(of: host)
        guard let first = addresses.first else { throw URLError(.cannotFindHost) }
        if !self.allowPrivate, let refused = addresses.first(where: { !Self.isPublic($0) }) { return .refused(refused) }
        return .connect(to: first)
    }

    /// Whether a numeric IPv4 or IPv6 address is public unicast.
    static func isPublic(_ address: String) -> Bool {
        if let v4 = Self.ipv4(address) { return Self.isPublicV4(v4) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address.split(separator: "%").first.map(String.init) ?? address, &v6) == 1 else { return false }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        let embeddedV4 = Array(bytes[12..<16])
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {  // ::ffff:a.b.c.d
            return Self.isPublicV4(embeddedV4)
        }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return false }  // ::/96: ::, ::1 and IPv4-compatible ::a.b.c.d
        if bytes[0..<8].allSatisfy({ $0 == 0 }) && bytes[8] == 0xff && bytes[9] == 0xff { return false }  // ::ffff:0:a.b.c.d (SIIT)
        if Array(bytes[0..<12]) == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] { return false }  // NAT64 64:ff9b::/96
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b && bytes[4] == 0x00 && bytes[5] == 0x01 {
            return false  // local-use NAT64 64:ff9b:1::/48
        }
        if bytes[0] == 0x20 && bytes[1] == 0x02 { return Self.isPublicV4(Array(bytes[2..<6])) }  // 6to4 2002::/16
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x00 && bytes[3] == 0x00 { return false }  // Teredo 2001::/32
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x00 && (bytes[3] & 0xf0 == 0x10 || bytes[3] & 0xf0 == 0x20) {
            return false  // ORCHID 2001:10::/28 and ORCHIDv2 2001:20::/28: identifiers, never routed
        }
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x00 && bytes[3] == 0x02 && bytes[4] == 0 && bytes[5] == 0 {
            return false  // benchmarking 2001:2::/48
        }
        if bytes[0] == 0x3f && bytes[1] == 0xff && bytes[2] & 0xf0 == 0 { return false }  // documentation 3fff::/20
        if bytes[0] & 0xfe == 0xfc { return false }  // fc00::/7 unique local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return false }  // fe80::/10 link-local
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return false }  // fec0::/10 site-local (deprecated, still routed by some)
        if bytes[0] == 0xff { return false }  // multicast
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return false }  // documentation
        if bytes[0] == 0x01 && bytes[1..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
        return true
    }

    static func ipv4(_ address: String) -> [UInt8]? {
        var v4 = in_addr()
        guard inet_pton(AF_INET, address, &v4) == 1 else { return nil }
        return withUnsafeBytes(of: v4) { Array($0) }
    }

    static func isPublicV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): false
        case (100, 64...127): false  // carrier-grade NAT
        case (169, 254): false  // link-local, cloud metadata
        case (172, 16...31): false
        case (192, 168): false
        case (192, 0) where b[2] == 0 || b[2] == 2: false
        case (198, 18...19): false
        case (198, 51) where b[2] == 100: false
        case (203, 0) where b[2] == 113: false
        case (224...255, _): false  // multicast, reserved, broadcast
        default: true
        }
    }
}

extension AddressPolicy {
    /// Why an outbound URL may not be called.
    package enum TargetRefusal: Error, Equatable {
        case notHTTP
        case unresolvable(host: String)
        case notPublic
    }

    /// The host of an http(s) URL and the one address to connect to, as the policy decided it (the name is resolved
    /// once, on `threadPool`, because `getaddrinfo` blocks). Every outbound call to a user's URL (reference images,
    /// webhooks) connects to exactly this address, so a DNS answer that changes afterwards changes nothing.
    package func target(of url: URL, on threadPool: NIOThreadPool) async throws(TargetRefusal) -> (host: String, address: String) {
        // An IPv6 literal is checked without its brackets (which some URL parsers keep in `host`).
        let host = url.host.map { $0.hasPrefix("[") && $0.hasSuffix("]") ? String($0.dropFirst().dropLast()) : $0 }
        guard let host, !host.isEmpty, let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else { throw .notHTTP }
        let decision: Decision
        do {
            decision = try await threadPool.runIfActive { [self] in try self.decide(host: host) }
        } catch {
            throw .unresolvable(host: host)
        }
        guard case .connect(let address) = decision else { throw .notPublic }
        return (host, address)
    }
}
