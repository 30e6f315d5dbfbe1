import Foundation

/// fal's wire shapes, as far as ImageGate reads them (sources in shared/reference/upstreams.md §1–§2).
enum FalWire {
    /// What submit returns; its URLs are followed as given, never rebuilt.
    struct QueueHandle: Codable, Equatable {
        let requestID: String
        let statusURL: String
        let responseURL: String
        let cancelURL: String

        enum CodingKeys: String, CodingKey {
            case requestID = "request_id"
            case statusURL = "status_url"
            case responseURL = "response_url"
            case cancelURL = "cancel_url"
        }
    }

    /// `GET …/status`: `IN_QUEUE`, `IN_PROGRESS` or `COMPLETED` (a failure is `COMPLETED` with `error`).
    struct Status: Decodable {
        let status: String
        let error: String?
        let errorType: String?
        /// While `IN_QUEUE`: how many requests are ahead of this one (0: next).
        var queuePosition: Int? = nil

        enum CodingKeys: String, CodingKey {
            case status, error
            case errorType = "error_type"
            case queuePosition = "queue_position"
        }
    }

    /// `PUT …/cancel`: `OK`, `CANCELLATION_REQUESTED`, `ALREADY_COMPLETED` or `NOT_FOUND`.
    struct CancelAnswer: Decodable {
        let status: String
    }

    /// The model's output.
    struct Output: Decodable {
        let images: [Image]
        let seed: Int64?

        struct Image: Decodable {
            let url: String
            let contentType: String?
            let width: Int?
            let height: Int?

            enum CodingKeys: String, CodingKey {
                case url, width, height
                case contentType = "content_type"
            }
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.images = try c.decodeIfPresent([Image].self, forKey: .images) ?? []
            // Seeds can exceed Int64 in principle; a seed we cannot represent is simply not reported.
            self.seed = (try? c.decodeIfPresent(Int64.self, forKey: .seed)) ?? nil
        }

        enum CodingKeys: String, CodingKey { case images, seed }
    }

    /// An error body: `{"detail": [{loc, msg, type}]}` (validation) or `{"detail": "…", "error_type": "…"}`.
    struct ErrorBody: Decodable {
        let messages: [String]
        let types: [String]
        let errorType: String?

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.errorType = try c.decodeIfPresent(String.self, forKey: .errorType)
            if let text = try? c.decode(String.self, forKey: .detail) {
                self.messages = [text]
                self.types = []
            } else if let items = try? c.decode([Item].self, forKey: .detail) {
                self.messages = items.compactMap(\.msg)
                self.types = items.compactMap(\.type)
            } else {
                self.messages = []
                self.types = []
            }
        }

        struct Item: Decodable {
            let msg: String?
            let type: String?
        }

        enum CodingKeys: String, CodingKey {
            case detail
            case errorType = "error_type"
        }
    }
}
