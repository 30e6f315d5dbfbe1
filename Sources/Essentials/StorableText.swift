extension StringProtocol {
    /// Whether the text holds U+0000, which PostgreSQL's `text` cannot store or compare (SQLite can): such text is
    /// refused where a caller writes it (400 naming the field) and matches nothing where a caller looks something up.
    package var containsNUL: Bool { self.utf8.contains(0) }
}
