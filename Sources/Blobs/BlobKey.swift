/// The one rule for blob keys, shared by every store: a key must mean the same object on disk and in a bucket, and
/// must never climb out of its root.
enum BlobKey {
    /// Checks a key: a relative path of segments made of ASCII letters, digits and `-_.`, separated by single `/`,
    /// with no `..` segment. Anything else is refused, so a key is a safe file path and needs no escaping in a URL.
    static func validate(_ key: String) throws(BlobError) {
        let allowed = key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
        let segments = key.split(separator: "/", omittingEmptySubsequences: false)
        guard allowed, !key.isEmpty, !segments.contains(where: { $0 == ".." || $0.isEmpty }) else {
            throw BlobError.invalidKey(key)
        }
    }

    /// Checks a listing prefix: empty (everything), or a valid key followed by `/` (a folder).
    static func validate(prefix: String) throws(BlobError) {
        guard !prefix.isEmpty else { return }
        guard prefix.hasSuffix("/") else { throw BlobError.invalidKey(prefix) }
        try Self.validate(String(prefix.dropLast()))
    }
}
