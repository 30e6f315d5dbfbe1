import Foundation

/// Where a reference image comes from: a web URL to fetch, or bytes inline in a data URI.
enum ReferenceSource: Equatable {
    case web(URL)
    case inline(mediaType: String, base64: Substring)

    init?(_ text: String) {
        if text.hasPrefix("data:") {
            guard let comma = text.firstIndex(of: ",") else { return nil }
            let header = text[text.index(text.startIndex, offsetBy: 5)..<comma]
            guard header.lowercased().hasPrefix("image/"), header.lowercased().hasSuffix(";base64") else { return nil }
            self = .inline(mediaType: String(header.dropLast(7)), base64: text[text.index(after: comma)...])
            return
        }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else { return nil }
        self = .web(url)
    }
}
