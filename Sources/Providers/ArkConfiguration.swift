import NIOCore

/// How ImageGate reaches one BytePlus ModelArk (or Volcengine Ark) route.
package struct ArkConfiguration: Sendable {
    package var key: String
    /// The API base, `https://ark.ap-southeast.bytepluses.com/api/v3` in production; the emulator's in tests.
    package var baseURL: String
    /// Ark's model id (`seedream-5-0-260128`).
    package var model: String
    /// The fewest pixels Ark takes as `WxH` for this model (3,686,400 on Seedream 4.5 and 5 Lite); a smaller
    /// size is sent as its tier (`2K`).
    package var minPixels = 3_686_400
    /// The formats Ark's `output_format` takes for this model (5.x only); empty: the field is not sent.
    package var outputFormats: [String] = []
    /// Whether `seed` is sent (and the result said to honour it).
    package var sendsSeed = false
    /// Tries of a call Ark refused to start (429, overload) or that could not connect.
    package var maxAttempts = 4
    /// Longest wait for Ark's answer: the call is synchronous, so it covers the whole generation of every image.
    package var callTimeout: TimeAmount = .seconds(300)
    /// Longest pause between tries (a longer `Retry-After` is not waited for: the refusal stands).
    package var maxBackoff: Duration = .seconds(8)

    package init(key: String, baseURL: String, model: String) {
        self.key = key
        self.baseURL = baseURL
        self.model = model
    }
}
