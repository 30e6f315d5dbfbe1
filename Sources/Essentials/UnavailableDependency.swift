/// An error saying that something this process depends on (the database, the blob store) cannot be used now:
/// nothing is known to have changed, and the caller may try again later. The HTTP layer answers it with 503 and
/// `Retry-After` without knowing which module threw it.
package protocol UnavailableDependency: Error {
    /// What cannot be used, as a person would name it ("The database").
    var dependencyName: String { get }
    /// How long a client should wait before trying again.
    var retryAfterSeconds: Int { get }
    /// The API's error code for it.
    var code: String { get }
    /// What the caller reads.
    var publicMessage: String { get }
}

extension UnavailableDependency {
    /// Unreachable, the common case.
    package var code: String { "service_unavailable" }
    package var publicMessage: String { "\(self.dependencyName) is unreachable for the moment; nothing was done. Please try again." }
}
