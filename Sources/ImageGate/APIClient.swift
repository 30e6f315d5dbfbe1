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

    /// Streams a URL to a file.
    func download(_ url: String, to path: String) async throws {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(120))
        guard response.status == .ok else { throw Failure(description: "download of \(url) failed: HTTP \(response.status.code)") }
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for try await chunk in response.body {
            try handle.write(contentsOf: Data(chunk.readableBytesView))
        }
    }
}
