import Foundation

/// An email address as people type it, checked just enough to be mailable, and the key it is matched by.
package struct EmailAddress: Sendable, Equatable {
    /// As typed (trimmed): mails go to this.
    package let text: String
    /// Lower-cased: one address is one person, whatever its case.
    package let key: String

    /// Characters refused anywhere in the address: it goes into a mail header and an SMTP command.
    private static let refused = Set("<>\"(),;:\\[]".unicodeScalars)

    /// Nil unless it is `local@domain.tld`, at most 254 bytes, with no spaces, controls or header punctuation.
    package init?(_ raw: String) {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard (3...254).contains(text.utf8.count),
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && !Self.refused.contains($0) }),
            let at = text.lastIndex(of: "@")
        else { return nil }
        let local = text[..<at]
        let domain = text[text.index(after: at)...]
        guard !local.isEmpty, local.utf8.count <= 64, !local.contains("@"), domain.contains("."), !domain.hasPrefix("."), !domain.hasSuffix(".")
        else { return nil }
        self.text = text
        self.key = text.lowercased()
    }
}
