import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line: time, level, label, message, source and every metadata
/// field (so `hb.request.id`, `generation` and `account` are searchable). Values of keys that look like secrets are
/// replaced, as a last line of defence: the code never logs keys in the first place.
package struct JSONLogHandler<Stream: TextOutputStream & Sendable>: LogHandler {
    package var metadata: Logger.Metadata = [:]
    package var logLevel: Logger.Level = .info
    package var metadataProvider: Logger.MetadataProvider?
    let label: String
    let stream: LockedStream

    /// Serialises writes from many threads onto one stream.
    final class LockedStream: Sendable {
        private let stream: Mutex<Stream>
        init(_ stream: Stream) { self.stream = Mutex(stream) }
        func write(_ line: String) { self.stream.withLock { $0.write(line) } }
    }

    static var secretKeys: Set<String> { ["authorization", "api_key", "fal_key", "key", "token", "admin_token"] }

    package init(label: String, stream: Stream) {
        self.label = label
        self.stream = LockedStream(stream)
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var merged = self.metadata
        if let provided = self.metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var object: [String: Any] = [
            "time": Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)),
            "level": event.level.rawValue,
            "label": self.label,
            "message": event.message.description,
            "source": event.source,
        ]
        for (key, value) in merged {
            object[key] = Self.secretKeys.contains(key.lowercased()) ? "***" : Self.plain(value)
        }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        self.stream.write(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func plain(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): text
        // Numbers stay numbers (the access log's status, latency and bytes), so log tools can compare them.
        case .stringConvertible(let number as Int): number
        case .stringConvertible(let number as Double): number
        case .stringConvertible(let convertible): convertible.description
        case .array(let items): items.map(Self.plain)
        case .dictionary(let items): items.mapValues(Self.plain)
        }
    }
}
