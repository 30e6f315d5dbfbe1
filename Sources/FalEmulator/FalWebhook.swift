import AsyncHTTPClient
import Essentials
import NIOCore
import NIOHTTP1

/// Delivers fal's webhook: `POST` to the `fal_webhook` URL with `{request_id, gateway_request_id, status, payload, error}`.
enum FalWebhook {
    static func payload(for job: FalJob) -> JSONValue {
        var body: [String: JSONValue] = ["request_id": .string(job.id), "gateway_request_id": .string(job.id)]
        switch job.outcome {
        case .success(let output):
            body["status"] = .string("OK")
            body["payload"] = output
            body["error"] = .null
        case .failure(let failure):
            body["status"] = .string("ERROR")
            body["error"] = .string("Invalid status code: \(failure.status)")
            body["payload"] = .object(failure.resultBody)
        case .invalidInput(let detail):
            body["status"] = .string("ERROR")
            body["error"] = .string("Invalid status code: 422")
            body["payload"] = .object(["detail": .array([detail])])
        case .cancelled, nil:
            body["status"] = .string("ERROR")
            body["error"] = .string("Request was cancelled")
            body["payload"] = .null
        }
        return .object(body)
    }

    /// One attempt, then a few retries with a pause (fal retries for hours; an emulator need not).
    static func deliver(_ payload: JSONValue, to url: String) async {
        for attempt in 0..<3 {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: payload.encoded()))
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(15)), (200..<300).contains(response.status.code) {
                return
            }
            try? await Task.sleep(for: .milliseconds(200 * (attempt + 1)))
        }
    }
}
