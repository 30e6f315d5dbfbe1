import NIOCore

/// How ImageGate reaches one Replicate route (an official model run by name, `owner/name`).
package struct ReplicateConfiguration: Sendable {
    package var key: String
    /// The API host, `https://api.replicate.com` in production (paths start with `/v1`); the emulator's in tests.
    package var baseURL: String
    /// The model, `owner/name` (`bytedance/seedream-5-lite`): predictions are created on its latest version.
    package var model: String
    /// The formats the model's `output_format` takes (Seedream 5 Lite and 5 Pro); empty: the field is not sent
    /// (Seedream 4.5 has none) and the image comes in the model's own format.
    package var outputFormats: [String] = []
    /// Whether the model makes more than one image per prediction (`sequential_image_generation`, `max_images`);
    /// Seedream 5 Pro has no `max_images`.
    package var sequential = true
    /// First pause between polls of the prediction; it doubles up to `maxPollInterval`.
    package var pollInterval: Duration = .milliseconds(250)
    package var maxPollInterval: Duration = .seconds(2)
    /// After this long (from the generation's first start) the prediction is cancelled and the generation fails. A
    /// route's `timeout_s` sets it: each HTTP call is short, the wait is for the whole prediction.
    package var deadline: Duration = .seconds(15 * 60)
    /// Longest wait while the prediction is `starting` (the route's `queue_timeout_s`): past it the prediction is
    /// cancelled, and when it ends `canceled` without having run, the generation may take another route.
    package var queueTimeout: Duration?
    /// Tries of a create that Replicate refused to start (429) or that could not connect.
    package var maxAttempts = 4
    /// Longest wait for one HTTP call (a create, a poll, a cancel).
    package var callTimeout: TimeAmount = .seconds(60)
    /// Longest pause between tries of a create (a longer `Retry-After` is not waited for: the refusal stands).
    package var maxBackoff: Duration = .seconds(8)

    package init(key: String, baseURL: String = "https://api.replicate.com", model: String) {
        self.key = key
        self.baseURL = baseURL
        self.model = model
    }
}
