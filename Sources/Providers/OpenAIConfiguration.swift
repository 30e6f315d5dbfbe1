import NIOCore

/// How ImageGate reaches one OpenAI-compatible image server (`POST {base}/images/generations` and `/images/edits`):
/// OpenAI itself, a self-hosted server, or another ImageGate.
package struct OpenAIConfiguration: Sendable {
    package var key: String
    /// The API base, with its version: `https://api.openai.com/v1`, `http://other-imagegate:8080/v1`.
    package var baseURL: String
    /// The model name upstream.
    package var model: String
    /// Whether `seed` is sent (OpenAI has none; ImageGate's own routes pass it through).
    package var sendsSeed = false
    /// The output formats the server can be asked for; empty: `output_format` is not sent.
    package var outputFormats: [String] = []
    /// `response_format` asked of the server (`url` or `b64_json`); nil: not sent (OpenAI's gpt-image answers base64).
    package var responseFormat: String?
    /// Tries of a call the server refused to start (429, overload) or that could not connect.
    package var maxAttempts = 4
    /// Longest wait for the answer: the call is synchronous, so it covers the whole generation.
    package var callTimeout: TimeAmount = .seconds(300)
    package var maxBackoff: Duration = .seconds(8)

    package init(key: String, baseURL: String, model: String) {
        self.key = key
        self.baseURL = baseURL
        self.model = model
    }
}
