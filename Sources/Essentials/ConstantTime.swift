/// Comparison of secrets (tokens, key digests, signatures) whose time does not depend on where they differ, so an
/// attacker cannot learn a secret byte by byte from response times.
package enum ConstantTime {
    /// Whether `lhs` and `rhs` are equal. Inputs of different lengths are unequal; only the length leaks, so compare
    /// fixed-length values (digests) where the length itself is secret.
    package static func equal(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return zip(lhs, rhs).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
