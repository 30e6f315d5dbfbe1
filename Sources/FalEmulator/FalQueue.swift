import AsyncHTTPClient
import Essentials
import Foundation
import Imaging
import NIOCore
import NIOPosix

/// The emulator's state: requests, their output files and counters. Each accepted request runs on its own task
/// through `IN_QUEUE → IN_PROGRESS → COMPLETED`, with the configured latencies and injected failures.
actor FalQueue {
    let configuration: FalEmulatorConfiguration
    private var jobs: [String: FalJob] = [:]
    /// Requests still `IN_QUEUE`, oldest first. Only waiting requests are kept here, so a queue position is cheap
    /// however many requests the emulator has served (scanning every request made status calls slower and slower).
    private var waiting: [String] = []
    private var files: [String: (bytes: [UInt8], contentType: String)] = [:]
    private var renders: [String: [UInt8]] = [:]
    /// Who waits for a request's phase to change (the synchronous host, status streams).
    private var watchers: [String: [CheckedContinuation<Void, Never>]] = [:]
    private var random: SeededRandom
    private var submitsSeen = 0
    /// Prompts of accepted requests, to count a request accepted twice (a client that resubmitted).
    private var promptsAccepted: Set<String> = []
    /// How often each fault's occasion has come, for `FalFault.first`.
    private var occasions: [String: Int] = [:]
    private(set) var stats = FalStats()

    init(configuration: FalEmulatorConfiguration) {
        self.configuration = configuration
        self.random = SeededRandom(seed: configuration.randomSeed)
    }

    // MARK: - Submit

    /// Whether to inject `fault` on this occasion of it.
    func inject(_ fault: KeyPath<FalFaults, FalFault>) -> Bool {
        let knob = self.configuration.faults[keyPath: fault]
        let name = "\(fault)"
        let count = (self.occasions[name] ?? 0) + 1
        self.occasions[name] = count
        let hit = count <= knob.first || (knob.rate > 0 && self.random.nextUnit() < knob.rate)
        if hit {
            switch fault {
            case \FalFaults.statusError: self.stats.statusErrorsInjected += 1
            case \FalFaults.downloadError: self.stats.downloadErrorsInjected += 1
            default: self.stats.submitsLost += 1
            }
        }
        return hit
    }

    /// Accepts a request, or answers 503 for the first `rejectFirstSubmits` (the request is then not accepted).
    func submit(endpoint: String, app: String, input: JSONValue, webhookURL: String?) -> FalJob? {
        self.stats.submitsReceived += 1
        self.submitsSeen += 1
        if self.submitsSeen <= self.configuration.rejectFirstSubmits {
            self.stats.submitsRejected += 1
            return nil
        }
        let id = UUID().uuidString.lowercased()
        let job = FalJob(id: id, endpoint: endpoint, app: app, input: input, webhookURL: webhookURL, createdAt: .now)
        self.jobs[id] = job
        self.waiting.append(id)
        self.stats.accepted += 1
        if case .string(let prompt)? = input["prompt"], !self.promptsAccepted.insert(prompt).inserted { self.stats.duplicatePrompts += 1 }
        if case .array(let references)? = input["image_urls"] {
            for case .string(let reference) in references {
                if reference.hasPrefix("data:") { self.stats.referenceDataURIs += 1 } else { self.stats.referenceRemoteURLs += 1 }
            }
        }
        Task { await self.execute(id) }
        return job
    }

    func job(_ id: String) -> FalJob? {
        self.jobs[id]
    }

    /// 0-based position among requests still waiting.
    func queuePosition(_ id: String) -> Int {
        self.waiting.firstIndex(of: id) ?? 0
    }

    func file(_ name: String) -> (bytes: [UInt8], contentType: String)? {
        self.files[name]
    }

    func countStatusPoll() { self.stats.statusPolls += 1 }
    func countResultFetch() { self.stats.resultFetches += 1 }

    /// Cancels a request: one still queued ends at once; one running ends when its runner notices.
    func cancel(_ id: String) -> String {
        guard var job = self.jobs[id] else { return "NOT_FOUND" }
        switch job.phase {
        case .completed:
            return "ALREADY_COMPLETED"
        case .inQueue:
            self.waiting.removeAll { $0 == id }
            job.phase = .completed
            job.outcome = .cancelled
            job.completedAt = .now
            self.jobs[id] = job
            self.stats.cancelled += 1
            self.notify(id)
            return "CANCELLATION_REQUESTED"
        case .inProgress:
            job.cancelRequested = true
            self.jobs[id] = job
            return "CANCELLATION_REQUESTED"
        }
    }

    /// Runs a request to its end and returns it (the synchronous host waits on this).
    func runToEnd(_ id: String) async -> FalJob? {
        while let job = self.jobs[id], job.phase != .completed {
            await self.waitForChange(id, from: job.phase)
        }
        return self.jobs[id]
    }

    /// Returns once the request has left `phase` (at once if it already has): pushes, no polling.
    func waitForChange(_ id: String, from phase: FalJob.Phase) async {
        guard let job = self.jobs[id], job.phase == phase else { return }
        await withCheckedContinuation { self.watchers[id, default: []].append($0) }
    }

    private func notify(_ id: String) {
        for watcher in self.watchers.removeValue(forKey: id) ?? [] { watcher.resume() }
    }

    // MARK: - Execution

    private func execute(_ id: String) async {
        if self.configuration.queueLatencyMillis > 0 { try? await Task.sleep(for: .milliseconds(self.configuration.queueLatencyMillis)) }
        guard var job = self.jobs[id], job.phase == .inQueue else { return }
        self.waiting.removeAll { $0 == id }
        job.phase = .inProgress
        job.startedAt = .now
        self.jobs[id] = job
        self.notify(id)

        if self.configuration.runLatencyMillis > 0 { try? await Task.sleep(for: .milliseconds(self.configuration.runLatencyMillis)) }
        let outcome: FalJob.Outcome
        if self.jobs[id]?.cancelRequested == true {
            outcome = .cancelled
            self.stats.cancelled += 1
        } else if self.configuration.failRate > 0 && self.random.nextUnit() < self.configuration.failRate {
            outcome = .failure(self.configuration.failType)
            self.stats.failed += 1
        } else {
            outcome = await self.produce(job)
        }
        job = self.jobs[id] ?? job
        job.phase = .completed
        job.completedAt = .now
        job.outcome = outcome
        self.jobs[id] = job
        self.notify(id)
        if case .success = outcome { self.stats.completed += 1 }
        if let webhook = job.webhookURL {
            let payload = FalWebhook.payload(for: job)
            Task.detached { await FalWebhook.deliver(payload, to: webhook) }
        }
    }

    /// Renders the images (cached per size, so the emulator is never the bottleneck) and builds fal's output.
    private func produce(_ job: FalJob) async -> FalJob.Outcome {
        guard case .string(let prompt)? = job.input["prompt"], !prompt.isEmpty else {
            return .invalidInput(
                .object([
                    "loc": .array([.string("body"), .string("prompt")]), "msg": .string("field required"), "type": .string("value_error.missing"),
                ])
            )
        }
        let size: (width: Int, height: Int)
        switch FalImageSize.resolve(job.input["image_size"]) {
        case .success(let value): size = value
        case .failure(let error): return .invalidInput(error.detail)
        }
        let count = job.input["num_images"]?.intValue ?? 1
        guard (1...6).contains(count) else {
            return .invalidInput(
                .object(["loc": .array([.string("body"), .string("num_images")]), "msg": .string("must be 1 to 6"), "type": .string("value_error")])
            )
        }
        let format: ImageFormat = job.input["output_format"]?.stringValue == "jpeg" ? .jpeg : .png
        let key = "\(size.width)x\(size.height).\(format.rawValue)"
        let bytes: [UInt8]
        if let cached = self.renders[key] {
            bytes = cached
        } else {
            let spec = PreviewSpec(
                prompt: "fal emulator",
                variation: 1,
                width: size.width,
                height: size.height,
                format: format,
                footer: "ImageGate fal emulator"
            )
            guard let rendered = try? await NIOThreadPool.singleton.runIfActive({ try PreviewRenderer.render(spec) }) else {
                return .failure(.runnerDisconnected)
            }
            self.renders[key] = rendered
            bytes = rendered
        }
        var images: [JSONValue] = []
        for index in 0..<count {
            let name = "\(job.id)/\(index).\(format.fileExtension)"
            if !(self.configuration.dropOutputRate > 0 && self.random.nextUnit() < self.configuration.dropOutputRate) {
                self.files[name] = (bytes, format.contentType)
            } else {
                self.stats.droppedOutputs += 1
            }
            images.append(
                .object([
                    "url": .string("\(self.configuration.queueBaseURL)/files/\(name)"),
                    "content_type": .string(format.contentType),
                    "file_name": .string("\(index).\(format.fileExtension)"),
                    "file_size": .number(Double(bytes.count)),
                    "width": .number(Double(size.width)),
                    "height": .number(Double(size.height)),
                ])
            )
        }
        let seed = Double(self.random.next() % 9_007_199_254_740_991)
        return .success(.object(["images": .array(images), "seed": .number(seed)]))
    }
}

/// Counters the tests read through `GET /_emulator/stats` (not part of fal's API).
struct FalStats: Codable, Sendable {
    var submitsReceived = 0
    var submitsRejected = 0
    var accepted = 0
    var completed = 0
    var failed = 0
    var cancelled = 0
    var droppedOutputs = 0
    var statusPolls = 0
    var resultFetches = 0
    var statusErrorsInjected = 0
    var downloadErrorsInjected = 0
    /// Accepted requests whose prompt an earlier accepted request had: with unique prompts, a resubmission.
    var duplicatePrompts = 0
    /// Submits accepted (and counted in `accepted`) but answered 504.
    var submitsLost = 0
    /// How edit references arrived: inline bytes, or URLs fal would fetch itself.
    var referenceDataURIs = 0
    var referenceRemoteURLs = 0
}
