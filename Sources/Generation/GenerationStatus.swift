/// The life of a generation: `queued → processing → completed | failed`. Only the worker moves it forward, and the
/// move to a final state happens in the same transaction as the money settling it, so it happens exactly once.
public enum GenerationStatus: String, Sendable, Codable {
    case queued
    case processing
    case completed
    case failed

    public var isFinal: Bool { self == .completed || self == .failed }
}
