import Essentials

/// One request inside the emulator, as its queue sees it.
struct FalJob: Sendable {
    enum Phase: String, Sendable {
        case inQueue = "IN_QUEUE"
        case inProgress = "IN_PROGRESS"
        case completed = "COMPLETED"
    }

    /// How a completed request ended.
    enum Outcome: Sendable {
        case success(JSONValue)
        case failure(FalFailureType)
        case invalidInput(JSONValue)
        case cancelled
    }

    let id: String
    let endpoint: String
    let app: String
    let input: JSONValue
    let webhookURL: String?
    let createdAt: ContinuousClock.Instant
    var phase: Phase = .inQueue
    var startedAt: ContinuousClock.Instant?
    var completedAt: ContinuousClock.Instant?
    var outcome: Outcome?
    var cancelRequested = false

    /// The status body, as `GET …/status` returns it.
    func statusBody(baseURL: String, queuePosition: Int, includeLogs: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "status": .string(self.phase.rawValue),
            "request_id": .string(self.id),
            "response_url": .string("\(baseURL)/\(self.app)/requests/\(self.id)"),
            "status_url": .string("\(baseURL)/\(self.app)/requests/\(self.id)/status"),
            "cancel_url": .string("\(baseURL)/\(self.app)/requests/\(self.id)/cancel"),
        ]
        switch self.phase {
        case .inQueue:
            body["queue_position"] = .number(Double(queuePosition))
        case .inProgress:
            body["logs"] = includeLogs ? .array([Self.log("Generating images")]) : .null
        case .completed:
            body["logs"] = includeLogs ? .array([Self.log("Generating images"), Self.log("Done")]) : .null
            if let startedAt, let completedAt {
                body["metrics"] = .object(["inference_time": .number((completedAt - startedAt).seconds)])
            }
            switch self.outcome {
            case .failure(let failure):
                body["error"] = .string(failure.statusError.message)
                body["error_type"] = .string(failure.statusError.type)
            case .invalidInput:
                body["error"] = .string("Invalid status code: 422")
                body["error_type"] = .string("validation_error")
            case .cancelled:
                body["error"] = .string("Request was cancelled")
                body["error_type"] = .string("request_cancelled")
            case .success, nil:
                break
            }
        }
        return .object(body)
    }

    static func log(_ message: String) -> JSONValue {
        .object(["message": .string(message), "level": .string("INFO"), "source": .string("USER"), "timestamp": .string("2026-01-01T00:00:00Z")])
    }
}

extension Duration {
    var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}
