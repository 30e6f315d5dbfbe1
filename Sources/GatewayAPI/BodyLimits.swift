/// How much of a request body a route reads, and for how long.
public struct BodyLimits: Sendable {
    /// Largest body of a route that carries reference images (10 images of 10 MB as base64, with room for JSON).
    public var maxBytes: Int
    /// Longest time a whole body may take to arrive.
    public var deadline: Duration

    /// What a route without images needs: a prompt of 4,000 characters and a few fields fit in far less.
    static let withoutImagesBytes = 1 << 20

    public init(maxBytes: Int, deadline: Duration) {
        self.maxBytes = maxBytes
        self.deadline = deadline
    }

    /// The same deadline with a smaller size, for routes that carry no images.
    var withoutImages: BodyLimits { BodyLimits(maxBytes: min(self.maxBytes, Self.withoutImagesBytes), deadline: self.deadline) }
}
