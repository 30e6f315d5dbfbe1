/// Where "now" comes from for decisions that depend on the date (output expiry, leases, idempotency windows, key
/// limits): the system clock in production, a clock that tests move by hand, so no test waits for time to pass.
package protocol WallClock: Sendable {
    /// Unix milliseconds, as stored in the database.
    func nowMillis() -> Int64
}

/// The system's clock.
package struct SystemClock: WallClock {
    package init() {}

    package func nowMillis() -> Int64 { Timestamp.nowMillis() }
}
