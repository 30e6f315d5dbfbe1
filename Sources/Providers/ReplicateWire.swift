import Essentials
import Foundation

/// Replicate's JSON, as far as ImageGate reads it (docs: upstreams.md §5, §7.2; the official client `replicate`).
enum ReplicateWire {
    /// A prediction, as create, get and cancel answer it.
    struct Prediction: Decodable {
        let id: String
        /// `starting`, `processing`, `succeeded`, `failed` or `canceled`.
        let status: String
        /// For the Seedream models an array of URIs (one per image); a single URI for some other models.
        let output: JSONValue?
        /// Why a prediction failed: the model's own words, with Replicate's code in parentheses (`… (E005)`).
        let error: String?

        /// The statuses after which a prediction never changes again.
        static let terminal: Set<String> = ["succeeded", "failed", "canceled"]

        var isTerminal: Bool { Self.terminal.contains(self.status) }

        /// The output's image URLs, in order (an output that is not a URI or a list of them holds none).
        var outputURLs: [String] {
            switch self.output {
            case .string(let url)?: [url]
            case .array(let items)?: items.compactMap(\.stringValue)
            default: []
            }
        }

        /// Whether the id can go into a URL path as it is: Replicate's ids are lowercase base-32, and an id that is
        /// not is not followed (it would change the path the key is sent to).
        var hasPlainID: Bool {
            !self.id.isEmpty && self.id.count <= 64 && self.id.utf8.allSatisfy { $0.isASCIIAlphanumeric || $0 == UInt8(ascii: "-") }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.id = try c.decode(String.self, forKey: .id)
            self.status = try c.decode(String.self, forKey: .status)
            self.output = try c.decodeIfPresent(JSONValue.self, forKey: .output)
            // `error` is a string, or null; anything else is kept as its JSON text rather than failing the read.
            if let text = try? c.decodeIfPresent(String.self, forKey: .error) {
                self.error = text
            } else if let value = try? c.decodeIfPresent(JSONValue.self, forKey: .error) {
                self.error = String(decoding: value.encoded(), as: UTF8.self)
            } else {
                self.error = nil
            }
        }

        enum CodingKeys: String, CodingKey { case id, status, output, error }
    }

    /// An HTTP error: RFC 7807 problem details, `{"title", "detail", "status"}` (a 422 adds `invalid_fields`).
    struct Problem: Decodable {
        let title: String?
        let detail: String?
    }

    /// What ImageGate saves as the upstream handle: the prediction's id (its URLs are rebuilt from the route's
    /// address, so the key only ever goes where the operator pointed it).
    struct Handle: Codable, Equatable {
        let id: String
    }
}

extension UInt8 {
    /// `0-9`, `A-Z`, `a-z`.
    fileprivate var isASCIIAlphanumeric: Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
}
