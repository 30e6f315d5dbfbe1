extension KeyedDecodingContainer {
    /// A field a change may leave out, set, or set to `null`: nil when absent, `.some(nil)` for `null`, else the value.
    /// (`decodeIfPresent` cannot tell `null` from absent, and a PATCH must: `null` gives a setting back.)
    func decodeChange<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T?? {
        guard self.contains(key) else { return nil }
        return .some(try self.decodeNil(forKey: key) ? nil : try self.decode(type, forKey: key))
    }
}
