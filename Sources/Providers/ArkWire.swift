import Foundation

/// Ark's JSON for `POST /images/generations` (docs/upstreams: §3, §7.1).
enum ArkWire {
    /// The answer of a call that ran (HTTP 200): the images made, per-image failures in sequential mode, and what
    /// was billed.
    struct Response: Decodable {
        let model: String?
        let data: [Item]?
        let usage: Usage?
        let error: ErrorInfo?
    }

    /// One slot of `data`: an image, or why that image was not made.
    struct Item: Decodable {
        let url: String?
        let size: String?
        let error: ErrorInfo?
    }

    struct Usage: Decodable {
        let generatedImages: Int?
        enum CodingKeys: String, CodingKey { case generatedImages = "generated_images" }
    }

    /// `{"code": "...", "message": "...", "param": "...", "type": "..."}`.
    struct ErrorInfo: Decodable {
        let code: String?
        let message: String?
        let type: String?
    }

    /// A refusal's body: `{"error": {...}}`.
    struct ErrorBody: Decodable {
        let error: ErrorInfo?
    }
}
