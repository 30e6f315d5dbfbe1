/// One attempt of a generation on one route, as the books record it: which route, which protocol (the name users
/// see), and what the route bills per image.
package struct RouteAttempt: Sendable, Equatable {
    /// The route's name within its model (`ModelRoute.name`; the provider's name for the local stand-in).
    package let route: String
    /// The protocol that runs it (`fal`, `ark`, `replicate`, `openai`, `local`).
    package let provider: String
    /// What the route bills for one image of this request's size, in micro-USD.
    package let costPerImage: Int64

    package init(route: String, provider: String, costPerImage: Int64) {
        self.route = route
        self.provider = provider
        self.costPerImage = costPerImage
    }
}
