import Foundation

/// An object container.
struct KeyedSlots<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let object: ObjectSlots
    let codingPath: [any CodingKey]

    func path(_ key: Key) -> [any CodingKey] { self.codingPath + [key] }

    mutating func encodeNil(forKey key: Key) throws { self.object.append(key, .null) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        if let field = value as? any OmittableField, field.isOmitted { return }
        self.object.append(key, try Slot.of(value, at: self.path(key)))
    }

    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        guard let value else { return self.object.append(key, .null) }
        try self.encode(value, forKey: key)
    }

    mutating func encode(_ value: Bool, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: String, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Double, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Float, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { self.object.append(key, try Slot.of(value, at: self.path(key))) }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
        self.object.append(key, try value.map { try Slot.of($0, at: self.path(key)) } ?? .null)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectSlots()
        self.object.append(key, .object(nested))
        return KeyedEncodingContainer(KeyedSlots<NestedKey>(object: nested, codingPath: self.path(key)))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArraySlots()
        self.object.append(key, .array(nested))
        return UnkeyedSlots(array: nested, codingPath: self.path(key))
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = SlotEncoder(codingPath: self.codingPath + [AnyKey("super")])
        self.object.fields.append(("super", .later(encoder)))
        return encoder
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let encoder = SlotEncoder(codingPath: self.path(key))
        self.object.append(key, .later(encoder))
        return encoder
    }
}

/// An array container.
struct UnkeyedSlots: UnkeyedEncodingContainer {
    let array: ArraySlots
    let codingPath: [any CodingKey]
    var count: Int { self.array.items.count }

    mutating func encodeNil() throws { self.array.items.append(.null) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        self.array.items.append(try Slot.of(value, at: self.codingPath + [AnyKey(intValue: self.count)]))
    }

    mutating func encode(_ value: Bool) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: String) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Double) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Float) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Int) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Int8) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Int16) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Int32) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: Int64) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: UInt) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: UInt8) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: UInt16) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: UInt32) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }
    mutating func encode(_ value: UInt64) throws { self.array.items.append(try Slot.of(value, at: self.codingPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectSlots()
        self.array.items.append(.object(nested))
        return KeyedEncodingContainer(KeyedSlots<NestedKey>(object: nested, codingPath: self.codingPath))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArraySlots()
        self.array.items.append(.array(nested))
        return UnkeyedSlots(array: nested, codingPath: self.codingPath)
    }

    mutating func superEncoder() -> any Encoder {
        let encoder = SlotEncoder(codingPath: self.codingPath + [AnyKey(intValue: self.count)])
        self.array.items.append(.later(encoder))
        return encoder
    }
}

/// A single-value container: the encoder's whole value.
struct SingleSlot: SingleValueEncodingContainer {
    let encoder: SlotEncoder
    var codingPath: [any CodingKey] { self.encoder.codingPath }

    mutating func encodeNil() throws { self.encoder.slot = .null }

    mutating func encode<T: Encodable>(_ value: T) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }

    mutating func encode(_ value: Bool) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: String) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Double) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Float) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Int) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Int8) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Int16) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Int32) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: Int64) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: UInt) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: UInt8) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: UInt16) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: UInt32) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
    mutating func encode(_ value: UInt64) throws { self.encoder.slot = try Slot.of(value, at: self.codingPath) }
}
