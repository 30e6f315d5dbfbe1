import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A small client of ImageGate's own API for the `generate`, `generations` and `account` commands.
struct APIClient {
    let server: String
    let apiKey: String

    /// An API answer: status and JSON body.
    struct Answer {
        let status: Int
        let json: [String: Any]
        let headers: HTTPHeaders
    }

    /// One line a person can read, for any error answer.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func send(_ method: HTTPMethod, _ path: String, body: [String: Any]? = nil, headers: [(String, String)] = []) async throws -> Answer {
        var request = HTTPClientRequest(url: self.server.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(self.apiKey)")
        request.headers.add(name: "User-Agent", value: "imagegate-cli/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        } catch {
            throw Failure(description: "cannot reach \(self.server) (\(error)); is the server running? Set --server or IMAGEGATE_URL.")
        }
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        return Answer(status: Int(response.status.code), json: json, headers: response.headers)
    }

    /// Throws a one-line error for anything but the expected statuses.
    func expect(_ answer: Answer, _ statuses: Set<Int>) throws {
        guard !statuses.contains(answer.status) else { return }
        let message = answer.json["message"] as? String ?? "HTTP \(answer.status)"
        let code = answer.json["code"] as? String
        throw Failure(description: code.map { "\(message) (\($0))" } ?? message)
    }

    /// Follows a Server-Sent Events stream until the server ends it, calling `onEvent` with each event's id, name
    /// and JSON data. `lastEventID` (when not 0) asks only for what came after it.
    /// Follows a Server-Sent Events stream; each event with its id (nil for one without, such as `queue_position`).
    func events(_ path: String, lastEventID: Int, onEvent: (Int?, String, [String: Any]) -> Void) async throws {
        var request = HTTPClientRequest(url: self.server.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)
        request.headers.add(name: "Authorization", value: "Bearer \(self.apiKey)")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if lastEventID > 0 { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        guard response.status == .ok else { throw Failure(description: "the progress stream answered HTTP \(response.status.code)") }
        var pending = ""
        for try await chunk in response.body {
            pending += String(buffer: chunk)
            // An event ends with a blank line; comment lines (heartbeats) carry nothing.
            while let end = pending.range(of: "\n\n") {
                let block = pending[..<end.lowerBound]
                pending = String(pending[end.upperBound...])
                var fields: [Substring: Substring] = [:]
                for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    fields[parts[0]] = parts.count > 1 ? parts[1].drop { $0 == " " } : ""
                }
                guard let data = fields["data"], let json = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any]
                else { continue }
                onEvent(fields["id"].flatMap { Int($0) }, String(fields["event"] ?? "message"), json)
            }
        }
    }

    /// Streams a URL to a file.
    func download(_ url: String, to path: String) async throws {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
        guard response.status == .ok else { throw Failure(description: "download of \(url) failed: HTTP \(response.status.code)") }
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw Failure(description: "cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for try await chunk in response.body {
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
    }
}
