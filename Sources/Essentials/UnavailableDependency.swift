/// An error saying that something this process depends on (the database, the blob store) cannot be reached now:
/// nothing is known to have changed, and the caller may try again later. The HTTP layer answers it with 503 and
/// `Retry-After` without knowing which module threw it.
package protocol UnavailableDependency: Error {
    /// What cannot be reached, as a person would name it ("The database").
    var dependencyName: String { get }
    /// How long a client should wait before trying again.
    var retryAfterSeconds: Int { get }
}
