import Essentials

/// A `POST /images/generations` body as Ark reads it, checked as Ark checks it (docs: upstreams.md §3.2, §4, §7.1).
struct ArkCall: Sendable {
    let model: String
    let prompt: String
    let width: Int
    let height: Int
    /// Images to make: 1, or `max_images` in sequential mode.
    let count: Int
    /// `sequential_image_generation: auto`: a failed image is reported in its slot, the others delivered.
    let sequential: Bool
    let format: String
    let responseFormat: String
    let references: [String]

    /// Ark's refusal of a body: the `param` it names and why (400 InvalidParameter / MissingParameter).
    struct Refusal: Error {
        let code: String
        let param: String
        let message: String
    }

    /// Pixel-count bounds per model family: Seedream 4.0 takes 1K sizes, 4.5 and 5.x start at 2560x1440.
    static func minPixels(model: String) -> Int { model.contains("4-0") ? 921_600 : 3_686_400 }
    static let maxPixels = 16_777_216
    /// The pixel sizes of Ark's tier words, at 1:1.
    static let tiers = ["1K": 1024, "2K": 2048, "3K": 3072, "4K": 4096]

    /// A call read by another protocol's routes (the OpenAI emulator), to run on the same engine.
    init(model: String, prompt: String, width: Int, height: Int, count: Int, format: String, responseFormat: String, references: [String]) {
        self.model = model
        self.prompt = prompt
        self.width = width
        self.height = height
        self.count = count
        self.sequential = true
        self.format = format
        self.responseFormat = responseFormat
        self.references = references
    }

    init(_ body: JSONValue) throws(Refusal) {
        guard case .object = body else { throw Refusal(code: "InvalidParameter", param: "", message: "The request body is not a JSON object.") }
        guard let model = body["model"]?.stringValue, !model.isEmpty else {
            throw Refusal(
                code: "MissingParameter",
                param: "model",
                message: "The request failed because it is missing one or multiple required parameters."
            )
        }
        guard let prompt = body["prompt"]?.stringValue, !prompt.isEmpty else {
            throw Refusal(
                code: "MissingParameter",
                param: "prompt",
                message: "The request failed because it is missing one or multiple required parameters."
            )
        }
        self.model = model
        self.prompt = prompt
        let size = body["size"]?.stringValue ?? "2048x2048"
        if let side = Self.tiers[size] {
            self.width = side
            self.height = side
        } else {
            let parts = size.split(separator: "x")
            guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
                throw Refusal(code: "InvalidParameter", param: "size", message: "The parameter `size` specified in the request is not valid.")
            }
            let pixels = width * height
            let ratio = Double(width) / Double(height)
            guard pixels >= Self.minPixels(model: model), pixels <= Self.maxPixels, ratio >= 1.0 / 16, ratio <= 16 else {
                throw Refusal(
                    code: "InvalidParameter",
                    param: "size",
                    message:
                        "The parameter `size` specified in the request is not valid: image size must be at least \(Self.minPixels(model: model)) pixels."
                )
            }
            self.width = width
            self.height = height
        }
        self.responseFormat = body["response_format"]?.stringValue ?? "url"
        guard ["url", "b64_json"].contains(self.responseFormat) else {
            throw Refusal(
                code: "InvalidParameter",
                param: "response_format",
                message: "The parameter `response_format` specified in the request is not valid."
            )
        }
        self.format = body["output_format"]?.stringValue ?? "jpeg"
        guard ["jpeg", "png"].contains(self.format) else {
            throw Refusal(
                code: "InvalidParameter",
                param: "output_format",
                message: "The parameter `output_format` specified in the request is not valid."
            )
        }
        switch body["image"] {
        case nil, .null?: self.references = []
        case .string(let one)?: self.references = [one]
        case .array(let many)?: self.references = many.compactMap(\.stringValue)
        default: throw Refusal(code: "InvalidParameter", param: "image", message: "The parameter `image` specified in the request is not valid.")
        }
        for reference in self.references where !Self.isAcceptedImage(reference) {
            throw Refusal(
                code: "InvalidParameter",
                param: "image",
                message: "The parameter `image` specified in the request is not valid: base64 data must use a lowercase format."
            )
        }
        guard self.references.count <= 14 else {
            throw Refusal(code: "InvalidParameter", param: "image", message: "The number of reference images must not exceed 14.")
        }
        if body["sequential_image_generation"]?.stringValue == "auto" {
            let most = body["sequential_image_generation_options"]?["max_images"]?.intValue ?? 15
            guard (1...15).contains(most), most + self.references.count <= 15 else {
                throw Refusal(
                    code: "InvalidParameter",
                    param: "sequential_image_generation_options.max_images",
                    message: "The number of input images plus generated images must not exceed 15."
                )
            }
            self.count = most
            self.sequential = true
        } else {
            self.count = 1
            self.sequential = false
        }
    }

    /// A URL, or a data URI whose format is lowercase (`data:image/png;base64,`), as Ark requires.
    static func isAcceptedImage(_ text: String) -> Bool {
        if text.hasPrefix("http://") || text.hasPrefix("https://") { return true }
        guard text.hasPrefix("data:image/"), let semicolon = text.firstIndex(of: ";") else { return false }
        let format = text[text.index(text.startIndex, offsetBy: 11)..<semicolon]
        return !format.isEmpty && format == format.lowercased() && text[semicolon...].hasPrefix(";base64,")
    }
}
