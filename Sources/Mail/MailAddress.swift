import Foundation

/// A mail address as SMTP and the headers carry it: an `addr-spec` (`user@example.com`) and, for the sender, an optional
/// display name (`ImageGate <noreply@example.com>`).
///
/// Deliberately narrower than RFC 5322: ASCII only (no SMTPUTF8), no quoted local parts, no comments. Addresses come
/// from sign-up forms and an operator's setting; refusing the exotic keeps the envelope and the headers unambiguous,
/// and refusing CR, LF and angle brackets is what stops a caller from writing SMTP commands or headers of its own.
package struct MailAddress: Sendable, Equatable {
    /// `user@example.com`.
    package let address: String
    /// The name shown before the address in `From:`; nil when there is none.
    package let displayName: String?

    /// Parses a bare address (`user@example.com`) or `Name <user@example.com>`; throws ``MailError/invalidAddress``.
    package init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" }) {
            throw MailError.invalidAddress.with("an address holds a line break")
        }
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces)
            let unquoted = name.count >= 2 && name.hasPrefix("\"") && name.hasSuffix("\"") ? String(name.dropFirst().dropLast()) : name
            self.displayName = unquoted.isEmpty ? nil : unquoted
            self.address = try Self.checked(String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]))
        } else {
            self.displayName = nil
            self.address = try Self.checked(trimmed)
        }
        if let name = self.displayName, name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw MailError.invalidAddress.with("the display name holds a control character")
        }
    }

    /// The domain after the `@`, for the Message-ID and the EHLO name.
    package var domain: String { String(self.address[self.address.index(after: self.address.lastIndex(of: "@")!)...]) }

    /// `text` if it is one `local@domain` of printable ASCII without spaces, brackets or a second `@`.
    static func checked(_ text: String) throws -> String {
        // RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address at most 254.
        guard text.utf8.count <= 254 else { throw MailError.invalidAddress.with("an address is longer than 254 characters") }
        let forbidden: Set<Unicode.Scalar> = [" ", "<", ">", "(", ")", ",", ";", ":", "\\", "\"", "[", "]"]
        guard text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !forbidden.contains($0) }) else {
            throw MailError.invalidAddress.with("'\(text)' is not a plain ASCII address")
        }
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !parts[1].contains("..")
        else { throw MailError.invalidAddress.with("'\(text)' is not user@domain") }
        return text
    }
}
