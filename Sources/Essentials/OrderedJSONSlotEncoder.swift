import Foundation

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
