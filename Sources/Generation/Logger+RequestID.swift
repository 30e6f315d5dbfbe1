import Logging

extension Logger {
    /// The id Hummingbird gives each HTTP request (metadata `hb.request.id`), carried by every line logged for it; read
    /// where an error or a queued generation must name the request, set where a worker carries on its work.
    package var requestID: String? {
        get { self[metadataKey: "hb.request.id"].map { "\($0)" } }
        set { self[metadataKey: "hb.request.id"] = newValue.map { .string($0) } }
    }
}
