import ArgumentParser
import Foundation
import NIOHTTP1

/// `imagegate generate "PROMPT"`: estimates the cost, submits, shows live progress, saves the images.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate (or, with --image, edit) images on an ImageGate server and save them."
    )

    @Argument(help: "What to draw.") var prompt: String
    @Option(name: .customLong("aspect-ratio"), help: "auto, 1:1, 4:3, 3:4, 16:9, 9:16, 3:2, 2:3, 21:9.") var aspectRatio = "16:9"
    @Option(help: "2K or 3K.") var size = "2K"
    @Option(name: [.short, .customLong("num-images")], help: "How many images (1–6).") var n = 1
    @Option(help: "Seed (0–2147483647).") var seed: Int?
    @Option(help: "png or jpeg.") var format = "png"
    @Option(name: .customLong("image"), help: "Reference image (a file or an http(s) URL); repeat for several. Switches to edit mode.")
    var images: [String] = []
    @Option(help: "Where to save the images.") var out = "."
    @Option(help: "Model id.") var model = "seedream-5-lite"
    @Flag(name: .customLong("async"), help: "Submit and print the generation id without waiting.") var async = false
    @OptionGroup var client: ClientOptions

    func run() async throws {
        try await runClient {
            let api = try self.client.client()
            var body: [String: Any] = [
                "model": self.model, "prompt": self.prompt, "aspect_ratio": self.aspectRatio, "size": self.size,
                "num_images": self.n, "output_format": self.format,
            ]
            if let seed = self.seed { body["seed"] = seed }
            if !self.images.isEmpty {
                body["mode"] = "edit"
                body["image_urls"] = try self.images.map(Self.reference)
            }

            let model = try await api.send(.GET, "/v1/models/\(self.model)")
            try api.expect(model, [200])
            if let price = model.json["price_per_image_usd"] as? Double {
                let estimate = (Decimal(string: "\(price)") ?? 0) * Decimal(self.n)
                Self.status("estimated cost: $\(estimate) for \(self.n) image\(self.n == 1 ? "" : "s") at $\(price) each\n")
            }

            let submitted = try await api.send(
                .POST,
                "/v1/generate",
                body: body,
                headers: [("Prefer", "respond-async"), ("Idempotency-Key", UUID().uuidString)]
            )
            try api.expect(submitted, [200, 202])
            guard let id = submitted.json["generation_id"] as? String else {
                throw APIClient.Failure(description: "the server returned no generation id")
            }
            if self.async {
                print(id)
                return
            }

            let started = Date()
            var generation = submitted.json
            var lastEventID = 0
            var interruptions = 0
            // Live progress from the server's event stream; a dropped stream is picked up where it stopped.
            while !["completed", "failed", "cancelled"].contains(generation["status"] as? String ?? "") {
                Self.progress(generation["status"] as? String ?? "queued", since: started)
                do {
                    try await api.events("/v1/generations/\(id)/events", lastEventID: lastEventID) { eventID, name, data in
                        if let eventID { lastEventID = eventID }
                        generation = data
                        if name == "queue_position", let ahead = data["queue_position"] as? Int {
                            Self.progress("queued upstream, \(ahead) ahead", since: started)
                        } else {
                            Self.progress(name, since: started)
                        }
                    }
                } catch {
                    interruptions += 1
                    if interruptions > 5 { throw APIClient.Failure(description: "lost the progress of \(id): \(error)") }
                    try await Task.sleep(for: .seconds(1))
                }
            }
            if let status = generation["status"] as? String, status == "failed" || status == "cancelled" {
                Self.status("\n")
                let error = generation["error"] as? [String: Any]
                let refunded = generation["refunded_usd"].map { "\($0)" } ?? "0"
                throw APIClient.Failure(
                    description: "generation \(id) \(status): \(error?["message"] as? String ?? "unknown error") (returned $\(refunded))"
                )
            }

            let images = generation["images"] as? [[String: Any]] ?? []
            try FileManager.default.createDirectory(atPath: self.out, withIntermediateDirectories: true)
            var paths: [String] = []
            for (index, image) in images.enumerated() {
                Self.progress("downloading \(index + 1)/\(images.count)", since: started)
                guard let url = image["url"] as? String else { continue }
                let ext = (image["content_type"] as? String) == "image/jpeg" ? "jpg" : "png"
                let path = (self.out as NSString).appendingPathComponent("\(id)-\(index + 1).\(ext)")
                try await api.download(url, to: path)
                paths.append(path)
            }
            Self.status("\r\u{1B}[K")
            for path in paths { print(path) }
            let cost = generation["cost_usd"].map { "\($0)" } ?? "?"
            let expires = generation["expires_at"] as? String ?? "?"
            Self.status("cost $\(cost) · \(paths.count) image\(paths.count == 1 ? "" : "s") · links expire \(expires) · \(id)\n")
        }
    }

    /// A local file becomes a data URI; a URL is sent as is.
    static func reference(_ value: String) throws -> String {
        if value.hasPrefix("http://") || value.hasPrefix("https://") { return value }
        guard let data = FileManager.default.contents(atPath: value) else { throw APIClient.Failure(description: "cannot read image file \(value)") }
        let lower = value.lowercased()
        let type = lower.hasSuffix(".png") ? "image/png" : lower.hasSuffix(".webp") ? "image/webp" : "image/jpeg"
        return "data:\(type);base64,\(data.base64EncodedString())"
    }

    /// One live line on stderr: state and elapsed time.
    static func progress(_ state: String, since start: Date) {
        let elapsed = String(format: "%.1f", Date().timeIntervalSince(start))
        Self.status("\r\u{1B}[K\(state) · \(elapsed)s")
    }

    static func status(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
