extension StringProtocol {
    /// Whether the text holds U+0000, which PostgreSQL's `text` cannot store or compare (SQLite can): such text is
    /// refused where a caller writes it (400 naming the field) and matches nothing where a caller looks something up.
    package var containsNUL: Bool { self.utf8.contains(0) }

    /// The text with every U+0000 replaced by U+FFFD, so that either engine stores it. For text that is not ours to
    /// refuse (an upstream's error message, its request id): a PostgreSQL statement carrying a NUL fails whatever is
    /// retried, so a settlement writing one would fail forever.
    package var storable: String {
        guard self.containsNUL else { return String(self) }
        return String(String.UnicodeScalarView(self.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 }))
    }
}

extension String {
    /// Bytes from outside (an upstream's answer) as storable text: invalid UTF-8 becomes U+FFFD, as NUL does.
    package init(storable bytes: some Collection<UInt8>) {
        self = String(decoding: bytes, as: UTF8.self).storable
    }
}
