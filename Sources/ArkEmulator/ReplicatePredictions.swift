import Essentials
import Foundation

/// One prediction the Replicate emulator holds, and how it reads as Replicate's JSON.
struct ReplicatePrediction: Sendable {
    let id: String
    /// `owner/name`.
    let model: String
    /// The input as sent, long data URIs shortened (as echoed in every read).
    let input: JSONValue
    let call: ArkCall
    /// Decided at create: the `error` it will fail with (nil: it makes its images).
    let failure: String?
    var status = "starting"
    var output: [String]?
    var error: String?
    let createdAt = Date()
    var startedAt: Date?
    var completedAt: Date?
    /// Its images are being made: a cancel no longer stops it (Replicate answers the state it is in).
    var finishing = false

    var isTerminal: Bool { ["succeeded", "failed", "canceled"].contains(self.status) }

    /// Replicate's prediction object. `status` is shown as `starting` for a prediction still running when a
    /// `Prefer: wait` ran out (`reportRunningAsStarting`), as Replicate does and its client relies on.
    func json(baseURL: String, reportRunningAsStarting: Bool = false) -> JSONValue {
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let stamp: (Date?) -> JSONValue = { $0.map { .string(time.format($0)) } ?? .null }
        var metrics: [String: JSONValue] = [:]
        if let startedAt, let completedAt { metrics["predict_time"] = .number(completedAt.timeIntervalSince(startedAt)) }
        if let output { metrics["image_count"] = .integer(Int64(output.count)) }
        let url = "\(baseURL)/v1/predictions/\(self.id)"
        return .object([
            "id": .string(self.id),
            "model": .string(self.model),
            "version": .string(Self.version(of: self.model)),
            "input": self.input,
            "logs": .string(""),
            "output": self.output.map { .array($0.map(JSONValue.string)) } ?? .null,
            "data_removed": .bool(false),
            "error": self.error.map(JSONValue.string) ?? .null,
            "status": .string(reportRunningAsStarting && !self.isTerminal ? "starting" : self.status),
            "source": .string("api"),
            "created_at": stamp(self.createdAt),
            "started_at": stamp(self.startedAt),
            "completed_at": stamp(self.completedAt),
            "urls": .object([
                "get": .string(url), "cancel": .string("\(url)/cancel"), "web": .string("https://replicate.com/p/\(self.id)"),
            ]),
            "metrics": .object(metrics),
        ])
    }

    /// A stable 64-hex version id per model (Replicate runs a model's latest version).
    static func version(of model: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in model.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        return String(repeating: String(repeating: "0", count: 16 - hex.count) + hex, count: 4)
    }

    /// The input to echo: data URIs longer than a few hundred characters cut after their header.
    static func echo(_ input: JSONValue) -> JSONValue {
        switch input {
        case .string(let text) where text.hasPrefix("data:") && text.count > 256:
            .string(String(text.prefix { $0 != "," }) + ",…")
        case .array(let items): .array(items.map(Self.echo))
        case .object(let fields): .object(fields.mapValues(Self.echo))
        default: input
        }
    }
}

/// The Replicate emulator's predictions. Each runs on its own task, `starting` → `processing` → `succeeded` (or
/// `failed`), taking the configured latency, on the engine and counters of `ArkState`.
actor ReplicatePredictions {
    let state: ArkState
    let configuration: ArkEmulatorConfiguration
    private var predictions: [String: ReplicatePrediction] = [:]

    init(state: ArkState, configuration: ArkEmulatorConfiguration) {
        self.state = state
        self.configuration = configuration
    }

    /// Takes a prediction for work (counted as accepted) and starts it.
    func create(model: String, input: JSONValue, call: ArkCall, failure: String?) async -> ReplicatePrediction {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let id = String((0..<26).map { _ in alphabet.randomElement()! })
        let prediction = ReplicatePrediction(id: id, model: model, input: ReplicatePrediction.echo(input), call: call, failure: failure)
        self.predictions[id] = prediction
        await self.state.accept(call)
        Task { await self.execute(id) }
        return prediction
    }

    func get(_ id: String) -> ReplicatePrediction? { self.predictions[id] }

    /// Cancels a prediction that has not begun making its images; answers its state either way.
    func cancel(_ id: String) async -> ReplicatePrediction? {
        guard var prediction = self.predictions[id] else { return nil }
        if !prediction.isTerminal, !prediction.finishing {
            prediction.status = "canceled"
            prediction.completedAt = Date()
            self.predictions[id] = prediction
            await self.state.countCancelled()
        }
        return prediction
    }

    /// The prediction once it has ended, or as it is after `seconds` (`Prefer: wait`).
    func waitForEnd(_ id: String, seconds: Int) async -> ReplicatePrediction? {
        let until = ContinuousClock.now + .seconds(seconds)
        while let prediction = self.predictions[id], !prediction.isTerminal, ContinuousClock.now < until {
            try? await Task.sleep(for: .milliseconds(25))
        }
        return self.predictions[id]
    }

    private func execute(_ id: String) async {
        let latency = self.configuration.latencyMillis
        if latency > 0 { try? await Task.sleep(for: .milliseconds(latency / 2)) }
        guard var prediction = self.predictions[id], prediction.status == "starting" else { return }
        prediction.status = "processing"
        prediction.startedAt = Date()
        self.predictions[id] = prediction
        if latency > 0 { try? await Task.sleep(for: .milliseconds(latency - latency / 2)) }
        guard self.predictions[id]?.status == "processing" else { return }
        self.predictions[id]?.finishing = true
        var slots: [ArkImage?] = []
        if prediction.failure == nil { slots = await self.state.make(prediction.call, id: id) }
        let urls = slots.compactMap { $0.map { "\(self.configuration.baseURL)/files/\($0.name)" } }
        prediction = self.predictions[id] ?? prediction
        prediction.completedAt = Date()
        if urls.isEmpty {
            // A failed prediction makes no output and bills nothing.
            prediction.status = "failed"
            prediction.error =
                prediction.failure ?? "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
            await self.state.countFailed()
        } else {
            prediction.status = "succeeded"
            prediction.output = urls
        }
        self.predictions[id] = prediction
    }
}
