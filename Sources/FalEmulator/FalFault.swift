/// One kind of transport fault the emulator can inject: on the first `first` occasions, then on a share `rate` of
/// the rest (rolled with the emulator's seeded dice, so a run can be repeated).
package struct FalFault: Sendable, Equatable {
    package var first: Int
    package var rate: Double

    package init(first: Int = 0, rate: Double = 0) {
        self.first = first
        self.rate = rate
    }

    package static let never = FalFault()
}

/// The faults the emulator injects between fal and its client, beyond failed runs: the ones a real network and
/// fal's own infrastructure produce, which a client must survive without paying twice or refunding a paid image.
package struct FalFaults: Sendable, Equatable {
    /// A status poll answered `500` (the request itself is fine).
    package var statusError = FalFault.never
    /// An output download answered `503` (the file is fine; the next try may succeed).
    package var downloadError = FalFault.never
    /// A submit accepted and queued, then answered `504` by "a proxy" (no fal error type): the client cannot know
    /// the request exists.
    package var lostSubmit = FalFault.never

    package init() {}
}
