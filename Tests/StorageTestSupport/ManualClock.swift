import Essentials
import Storage
import Synchronization

/// A wall clock that moves only when a test says so: expiry and windows are tested without waiting.
package final class ManualClock: WallClock {
    private let millis: Mutex<Int64>

    package init(startingAt millis: Int64 = Timestamp.nowMillis()) {
        self.millis = Mutex(millis)
    }

    package func nowMillis() -> Int64 { self.millis.withLock { $0 } }

    /// Moves the clock forward.
    package func advance(byMillis delta: Int64) {
        self.millis.withLock { $0 += delta }
    }
}
