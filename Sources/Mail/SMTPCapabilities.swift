/// The extensions a server announced in its EHLO reply, by keyword (RFC 5321 §4.1.1.1).
package struct SMTPCapabilities: Sendable, Equatable {
    /// Upper-cased keyword → its parameters, upper-cased (`AUTH` → `["PLAIN", "LOGIN"]`).
    package let keywords: [String: [String]]

    init(ehloLines: some Sequence<String>) {
        var keywords: [String: [String]] = [:]
        for line in ehloLines {
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let keyword = words.first else { continue }
            keywords[keyword] = Array(words.dropFirst())
        }
        self.keywords = keywords
    }

    /// Whether the server can upgrade this connection to TLS.
    package var startTLS: Bool { self.keywords["STARTTLS"] != nil }
    /// The SASL mechanisms offered; empty when AUTH is not.
    package var authMechanisms: [String] { self.keywords["AUTH"] ?? [] }
}
