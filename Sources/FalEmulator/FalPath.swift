/// fal's URL rules: a request is submitted to its full endpoint id (`owner/alias/path…`), while status, result and
/// cancel live under `owner/alias` only (plus the `workflows/` or `comfy/` namespace when there is one).
enum FalPath: Equatable {
    case submit(endpoint: String, app: String)
    case result(app: String, requestID: String)
    case status(app: String, requestID: String)
    case statusStream(app: String, requestID: String)
    case cancel(app: String, requestID: String)
    case file(name: String)
    case invalid

    static let namespaces: Set<String> = ["workflows", "comfy"]

    init(_ path: String) {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if segments.first == "files", segments.count >= 2 {
            self = .file(name: segments.dropFirst().joined(separator: "/"))
            return
        }
        let appLength = segments.first.map { Self.namespaces.contains($0) } == true ? 3 : 2
        guard segments.count >= appLength else {
            self = .invalid
            return
        }
        let app = segments.prefix(appLength).joined(separator: "/")
        let rest = Array(segments.dropFirst(appLength))
        guard rest.first == "requests", rest.count >= 2 else {
            self = .submit(endpoint: segments.joined(separator: "/"), app: app)
            return
        }
        let id = rest[1]
        switch Array(rest.dropFirst(2)) {
        case []: self = .result(app: app, requestID: id)
        case ["status"]: self = .status(app: app, requestID: id)
        case ["status", "stream"]: self = .statusStream(app: app, requestID: id)
        case ["cancel"]: self = .cancel(app: app, requestID: id)
        default: self = .invalid
        }
    }
}
