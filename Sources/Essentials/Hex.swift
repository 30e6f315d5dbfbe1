/// Lower-case hexadecimal text for bytes: digests, signatures, secrets and ETags are all written with it.
package enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    package static func string(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(Self.digits[Int(byte >> 4)])
            text.append(Self.digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// `count` random bytes as hex text.
    package static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Self.string((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
