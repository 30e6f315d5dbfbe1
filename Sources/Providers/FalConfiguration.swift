import NIOCore

/// How ImageGate reaches fal.ai's queue API.
package struct FalConfiguration: Sendable {
    package var key: String
    /// The queue host, `https://queue.fal.run` in production; the emulator's address in tests.
    package var queueURL: String
    package var generateEndpoint: String
    package var editEndpoint: String
    /// First pause between status polls; it doubles up to `maxPollInterval`. Short, because a fast answer should
    /// not wait for a slow poll (docs/benchmarks.md, B2); doubling keeps a 10-second generation to about a dozen
    /// status calls.
    package var pollInterval: Duration = .milliseconds(10)
    package var maxPollInterval: Duration = .seconds(2)
    /// After this long the generation is abandoned: the upstream request is cancelled and the generation fails.
    package var deadline: Duration = .seconds(15 * 60)
    /// Longest wait `IN_QUEUE` (the route's `queue_timeout_s`): past it the request is cancelled, and when fal
    /// confirms it never ran, the generation may take another route. Nil: it waits until the deadline.
    package var queueTimeout: Duration?
    /// Tries of a submit that fal refused or that could not connect (reads are retried until the deadline).
    package var maxAttempts = 6
    /// Longest wait for one HTTP call.
    package var callTimeout: TimeAmount = .seconds(60)
    /// Whether the endpoint takes a `seed` (Seedream 4.x on fal; 5 Lite has none): then it is sent and honoured.
    package var sendsSeed = false
    /// Longest pause between those tries.
    package var maxBackoff: Duration = .seconds(8)

    package init(key: String, queueURL: String = "https://queue.fal.run", generateEndpoint: String, editEndpoint: String) {
        self.key = key
        self.queueURL = queueURL
        self.generateEndpoint = generateEndpoint
        self.editEndpoint = editEndpoint
    }
}
