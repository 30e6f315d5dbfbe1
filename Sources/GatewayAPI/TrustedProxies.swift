import Foundation

/// The proxies whose `X-Forwarded-For` is believed (`--trusted-proxies`): addresses or CIDR blocks, IPv4 or IPv6.
///
/// Anyone can send `X-Forwarded-For`, so the header names the client only when the connection came from a proxy
/// the operator listed. The header is then read from the right (the entry the nearest proxy appended), skipping
/// trusted proxies, and the first address that is not one is the client; what lies left of it is the client's own
/// claim and is ignored. With no list, the client is always the connection's peer.
package struct TrustedProxies: Sendable {
    /// One block: the address's bytes and how many leading bits must match.
    struct Block: Sendable, Equatable {
        let bytes: [UInt8]
        let bits: Int
    }

    let blocks: [Block]

    /// Parses `10.0.0.1,10.1.0.0/16,::1`; a failure names the first entry that is not an address or block.
    package static func parse(_ text: String) -> Result<TrustedProxies, ParseError> {
        var blocks: [Block] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", maxSplits: 1).map(String.init)
            guard let bytes = Self.bytes(parts[0]) else { return .failure(ParseError(entry: entry)) }
            let bits = parts.count == 2 ? Int(parts[1]) : bytes.count * 8
            guard let bits, (0...(bytes.count * 8)).contains(bits) else { return .failure(ParseError(entry: entry)) }
            blocks.append(Block(bytes: bytes, bits: bits))
        }
        return .success(TrustedProxies(blocks: blocks))
    }

    package static let none = TrustedProxies(blocks: [])

    /// An entry of `--trusted-proxies` that is neither an address nor a CIDR block.
    package struct ParseError: Error {
        package let entry: String
    }

    /// Whether `address` is one of the trusted proxies.
    func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(address) else { return false }
        return self.blocks.contains { block in
            guard block.bytes.count == bytes.count else { return false }
            for bit in 0..<block.bits where (block.bytes[bit / 8] ^ bytes[bit / 8]) & (0x80 >> UInt8(bit % 8)) != 0 { return false }
            return true
        }
    }

    /// The client of a request that arrived from `peer` with these `X-Forwarded-For` values.
    package func client(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, self.contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard Self.bytes(hop) != nil else { break }  // garbage: stop at the last proxy we trust
            client = hop
            if !self.contains(hop) { break }
        }
        return client
    }

    /// An IPv4 (4 bytes) or IPv6 (16 bytes) address's bytes.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
