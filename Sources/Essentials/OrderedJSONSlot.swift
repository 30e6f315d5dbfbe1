import Foundation

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
