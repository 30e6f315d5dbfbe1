import Foundation

/// JSON for API responses, one way for every body: fields in the order the type declares them (so a response
/// reads in the order the product page shows it, the same on every run: Foundation's encoder orders keys by hash),
/// keys in snake_case, `nil` written as an explicit `null` (a client sees every field, even an empty one), maps
/// with their keys sorted, `Omittable.omitted` left out, `Decimal` written exactly, slashes unescaped.
///
/// Types use the synthesized `Encodable`: a property `estimatedCostUsd` is written `estimated_cost_usd`. A key
/// that does not follow from its name (`outputURLs`) is spelled in `CodingKeys`.
public struct OrderedJSONEncoder: Sendable {
    public init() {}

    public func encode(_ value: some Encodable) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try Slot.of(value, at: []).write(to: &bytes)
        return bytes
    }

    /// camelCase to snake_case: an underscore where a lower-case letter or digit meets an upper-case one, and
    /// before the last capital of an acronym followed by lower case (`pixelURLSize` → `pixel_url_size`).
    public static func snakeCase(_ key: String) -> String {
        let characters = Array(key)
        var result = ""
        for (index, character) in characters.enumerated() {
            if character.isUppercase, index > 0 {
                let previous = characters[index - 1]
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    result.append("_")
                }
            }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }
}

/// A field that is left out of the JSON when `.omitted` (unlike an optional, which is written as `null`): for
/// fields that exist only in some states, like the key's secret right after it was created.
public enum Omittable<Wrapped: Encodable & Sendable>: Encodable, Sendable {
    case omitted
    case value(Wrapped)

    public init(_ value: Wrapped?) {
        self = value.map { .value($0) } ?? .omitted
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .omitted: try container.encodeNil()
        case .value(let value): try container.encode(value)
        }
    }
}

/// What `OrderedJSONEncoder` recognises as "leave this field out".
protocol OmittableField {
    var isOmitted: Bool { get }
}

extension Omittable: OmittableField {
    var isOmitted: Bool {
        if case .omitted = self { return true }
        return false
    }
}

/// A map with string keys: written with its keys sorted, so the output is the same on every run.
protocol StringKeyedMap {
    func sortedSlots(at path: [any CodingKey]) throws -> ObjectSlots
}

extension Dictionary: StringKeyedMap where Key == String, Value: Encodable {
    func sortedSlots(at path: [any CodingKey]) throws -> ObjectSlots {
        let object = ObjectSlots()
        for key in self.keys.sorted() {
            object.fields.append((key, try Slot.of(self[key]!, at: path + [AnyKey(key)])))
        }
        return object
    }
}

/// One JSON value being built.
indirect enum Slot {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case object(ObjectSlots)
    case array(ArraySlots)
    /// What a super encoder handed out earlier will hold once the caller has used it.
    case later(SlotEncoder)

    static func of(_ value: some Encodable, at path: [any CodingKey]) throws -> Slot {
        switch value {
        case let value as Bool: return .bool(value)
        case let value as String: return .string(value)
        case let value as Decimal: return .number(value.description)
        case let value as any BinaryInteger: return .number("\(value)")
        case let value as Double: return try Self.number(value, at: path)
        case let value as Float: return try Self.number(Double(value), at: path)
        case let value as any StringKeyedMap: return .object(try value.sortedSlots(at: path))
        default:
            let encoder = SlotEncoder(codingPath: path)
            try value.encode(to: encoder)
            return encoder.slot ?? .object(ObjectSlots())
        }
    }

    static func number(_ value: Double, at path: [any CodingKey]) throws -> Slot {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: path, debugDescription: "JSON has no \(value)"))
        }
        // A whole number is written without a fraction.
        if value.rounded() == value && abs(value) < 9e15 { return .number("\(Int64(value))") }
        return .number("\(value)")
    }

    func write(to bytes: inout [UInt8]) {
        switch self {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let value): bytes.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text): bytes.append(contentsOf: text.utf8)
        case .string(let text): Self.writeString(text, to: &bytes)
        case .object(let object):
            bytes.append(UInt8(ascii: "{"))
            for (index, (key, value)) in object.fields.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                Self.writeString(key, to: &bytes)
                bytes.append(UInt8(ascii: ":"))
                value.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "}"))
        case .array(let array):
            bytes.append(UInt8(ascii: "["))
            for (index, value) in array.items.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                value.write(to: &bytes)
            }
            bytes.append(UInt8(ascii: "]"))
        case .later(let encoder):
            (encoder.slot ?? .object(ObjectSlots())).write(to: &bytes)
        }
    }

    static func writeString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case 0x0A: bytes.append(contentsOf: "\\n".utf8)
            case 0x0D: bytes.append(contentsOf: "\\r".utf8)
            case 0x09: bytes.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                bytes.append(contentsOf: "\\u00".utf8)
                bytes.append(contentsOf: Hex.string([byte]).utf8)
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// An object's fields, in the order they were encoded.
final class ObjectSlots {
    var fields: [(String, Slot)] = []

    func append(_ key: some CodingKey, _ value: Slot) {
        self.fields.append((OrderedJSONEncoder.snakeCase(key.stringValue), value))
    }
}

/// An array's items.
final class ArraySlots {
    var items: [Slot] = []
}

/// A coding key made from a string or an index.
struct AnyKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ string: String) {
        self.stringValue = string
        self.intValue = nil
    }

    init(stringValue: String) { self.init(stringValue) }

    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

/// The `Encoder` handed to a value's `encode(to:)`.
final class SlotEncoder: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any] = [:]
    var slot: Slot?

    init(codingPath: [any CodingKey]) {
        self.codingPath = codingPath
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let object: ObjectSlots
        if case .object(let existing) = self.slot {
            object = existing
        } else {
            object = ObjectSlots()
            self.slot = .object(object)
        }
        return KeyedEncodingContainer(KeyedSlots<Key>(object: object, codingPath: self.codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: ArraySlots
        if case .array(let existing) = self.slot {
            array = existing
        } else {
            array = ArraySlots()
            self.slot = .array(array)
        }
        return UnkeyedSlots(array: array, codingPath: self.codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleSlot(encoder: self)
    }
}

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
