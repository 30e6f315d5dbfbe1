/// How much of a request body a route reads, and for how long.
package struct BodyLimits: Sendable {
    /// Largest body of a route that carries reference images (10 images of 10 MB as base64, with room for JSON).
    package var maxBytes: Int
    /// Longest time a whole body may take to arrive.
    package var deadline: Duration

    /// What a route without images needs: a prompt of 4,000 characters and a few fields fit in far less.
    static let withoutImagesBytes = 1 << 20

    package init(maxBytes: Int, deadline: Duration) {
        self.maxBytes = maxBytes
        self.deadline = deadline
    }

    /// The same deadline with a smaller size, for routes that carry no images.
    var withoutImages: BodyLimits { BodyLimits(maxBytes: min(self.maxBytes, Self.withoutImagesBytes), deadline: self.deadline) }
}
