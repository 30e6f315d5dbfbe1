import Essentials
import Generation
import HTTPTypes
import NIOCore

/// The wire form of a generation's progress stream (Server-Sent Events, as the HTML standard defines them).
enum GenerationEvents {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// `text/event-stream`, never cached, and never buffered by a fronting nginx (which would hold events back).
    static let headers: HTTPFields = [
        .contentType: "text/event-stream; charset=utf-8",
        .cacheControl: "no-cache",
        HTTPField.Name("X-Accel-Buffering")!: "no",
    ]

    /// A comment line: ignored by clients, enough to keep a quiet connection open through proxies.
    static let heartbeat = ByteBuffer(string: ": keep-alive\n\n")

    /// The event id of each status: its step in the generation's life, so ids only grow and a reconnecting client's
    /// `Last-Event-ID` says which steps it has seen.
    static func step(of status: GenerationStatus) -> Int {
        switch status {
        case .queued: 1
        case .processing: 2
        case .completed, .failed, .cancelled: 3
        }
    }

    /// One event: its id (none for an event a reconnect need not replay), its name and the generation as one line of
    /// JSON (the encoder never writes a raw newline).
    static func event(_ generation: some Encodable, step: Int?, name: String) throws -> ByteBuffer {
        let json = try OrderedJSONEncoder().encode(generation)
        var buffer = ByteBuffer(string: step.map { "id: \($0)\n" } ?? "")
        buffer.writeString("event: \(name)\ndata: ")
        buffer.writeBytes(json)
        buffer.writeString("\n\n")
        return buffer
    }
}
