import Foundation

/// A field that is left out of the JSON when `.omitted` (unlike an optional, which is written as `null`): for
/// fields that exist only in some states, like the key's secret right after it was created.
package enum Omittable<Wrapped: Encodable & Sendable>: Encodable, Sendable {
    case omitted
    case value(Wrapped)

    package init(_ value: Wrapped?) {
        self = value.map { .value($0) } ?? .omitted
    }

    package func encode(to encoder: any Encoder) throws {
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
