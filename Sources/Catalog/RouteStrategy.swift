/// How a generation picks among its model's usable routes. Whatever the strategy, a route whose breaker is open is
/// passed over while another can take the work, and a failed attempt moves on only where it cannot bill twice.
package enum RouteStrategy: String, Sendable, Codable, Equatable, CaseIterable {
    /// The first healthy route in the catalog's order (the default).
    case priority
    /// The healthy route that bills least for this request's size and image count; the catalog's order breaks ties.
    case cheapest
    /// A healthy route drawn at random in proportion to its `weight` (default 1); the others follow in order.
    case weighted
}
