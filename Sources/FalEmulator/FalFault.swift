/// One kind of transport fault the emulator can inject: on the first `first` occasions, then on a share `rate` of
/// the rest (rolled with the emulator's seeded dice, so a run can be repeated).
public struct FalFault: Sendable, Equatable {
    public var first: Int
    public var rate: Double

    public init(first: Int = 0, rate: Double = 0) {
        self.first = first
        self.rate = rate
    }

    public static let never = FalFault()
}

/// The faults the emulator injects between fal and its client, beyond failed runs: the ones a real network and
/// fal's own infrastructure produce, which a client must survive without paying twice or refunding a paid image.
public struct FalFaults: Sendable, Equatable {
    /// A status poll answered `500` (the request itself is fine).
    public var statusError = FalFault.never
    /// An output download answered `503` (the file is fine; the next try may succeed).
    public var downloadError = FalFault.never
    /// A submit accepted and queued, then answered `504` by "a proxy" (no fal error type): the client cannot know
    /// the request exists.
    public var lostSubmit = FalFault.never

    public init() {}
}
