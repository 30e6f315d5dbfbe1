import NIOCore

/// How ImageGate reaches fal.ai's queue API.
public struct FalConfiguration: Sendable {
    public var key: String
    /// The queue host, `https://queue.fal.run` in production; the emulator's address in tests.
    public var queueURL: String
    public var generateEndpoint: String
    public var editEndpoint: String
    /// First pause between status polls; it doubles up to `maxPollInterval`. Short, because a fast answer should
    /// not wait for a slow poll (docs/benchmarks.md, B2); doubling keeps a 10-second generation to about a dozen
    /// status calls.
    public var pollInterval: Duration = .milliseconds(10)
    public var maxPollInterval: Duration = .seconds(2)
    /// After this long the generation is abandoned: the upstream request is cancelled and the generation fails.
    public var deadline: Duration = .seconds(15 * 60)
    /// Tries of a submit that fal refused or that could not connect (reads are retried until the deadline).
    public var maxAttempts = 6
    /// Longest wait for one HTTP call.
    public var callTimeout: TimeAmount = .seconds(60)
    /// Longest pause between those tries.
    public var maxBackoff: Duration = .seconds(8)

    public init(key: String, queueURL: String = "https://queue.fal.run", generateEndpoint: String, editEndpoint: String) {
        self.key = key
        self.queueURL = queueURL
        self.generateEndpoint = generateEndpoint
        self.editEndpoint = editEndpoint
    }
}
