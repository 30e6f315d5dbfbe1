import Testing

@testable import Outbound

/// The whole address policy as a table: what a reference URL may reach.
@Suite struct AddressPolicyTests {
    static let table: [(String, Bool)] = [
        ("8.8.8.8", true), ("93.184.216.34", true), ("172.32.0.1", true), ("100.128.0.1", true),
        ("0.0.0.0", false), ("127.0.0.1", false), ("127.255.255.254", false), ("10.1.2.3", false), ("100.64.0.1", false),
        ("169.254.169.254", false), ("172.16.0.1", false), ("172.31.255.255", false), ("192.168.1.1", false),
        ("192.0.0.8", false), ("192.0.2.1", false), ("198.18.0.1", false), ("198.51.100.7", false), ("203.0.113.9", false),
        ("224.0.0.1", false), ("240.0.0.1", false), ("255.255.255.255", false),
        ("2606:4700:4700::1111", true), ("2a00:1450:4001:80b::200e", true), ("::ffff:8.8.8.8", true), ("2002:808:808::1", true),
        ("::", false), ("::1", false), ("::127.0.0.1", false), ("::8.8.8.8", false), ("::ffff:127.0.0.1", false),
        ("::ffff:169.254.169.254", false), ("64:ff9b::7f00:1", false), ("64:ff9b::808:808", false), ("64:ff9b:1::1", false),
        ("2002:7f00:1::1", false), ("2002:a9fe:a9fe::1", false), ("2001::1", false), ("2001:db8::1", false),
        ("fc00::1", false), ("fd12:3456::1", false), ("fe80::1", false), ("fe80::1%eth0", false), ("fec0::1", false),
        ("feff::1", false), ("ff02::1", false), ("100::1", false), ("::ffff:0:127.0.0.1", false), ("::ffff:0:8.8.8.8", false),
        ("2001:10::1", false), ("2001:1f::1", false), ("2001:20::1", false), ("2001:2f:ffff::1", false), ("2001:2::1", false),
        ("3fff::1", false), ("3fff:fff::1", false), ("2001:30::1", true), ("2001:4860:4860::8888", true),
        ("not an address", false), ("", false),
    ]

    @Test(arguments: table)
    func publicUnicastOnly(address: String, allowed: Bool) {
        #expect(AddressPolicy.isPublic(address) == allowed)
    }
}
