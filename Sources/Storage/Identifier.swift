import Essentials

/// Makes record ids that sort by creation time (so "newest first" is an index scan and a cursor is just an id)
/// and carry 64 random bits so ids from concurrent requests or replicas never collide.
package enum Identifier {
    /// `prefix_` + 12 hex digits of Unix milliseconds + 16 random hex digits, e.g. `gen_019a3c5e2f1b9f2c…`.
    package static func make(_ prefix: String, millis: Int64 = Timestamp.nowMillis()) -> String {
        let time = String(UInt64(max(0, millis)), radix: 16)
        let random = String(UInt64.random(in: .min ... .max), radix: 16)
        return prefix + "_" + String(repeating: "0", count: max(0, 12 - time.count)) + time
            + String(repeating: "0", count: 16 - random.count) + random
    }

    /// When an id made by `make` was made (Unix milliseconds); nil for anything else.
    package static func millis(of id: String) -> Int64? {
        guard let underscore = id.firstIndex(of: "_") else { return nil }
        let time = id[id.index(after: underscore)...].prefix(12)
        guard time.count == 12 else { return nil }
        return Int64(time, radix: 16)
    }
}
