import Generation
import Hummingbird
import NIOCore

/// Reading what every generation route reads: the body and the `Idempotency-Key`.
enum GenerationRequest {
    /// The optional `Idempotency-Key` header: 1–255 visible ASCII characters.
    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.count), key.allSatisfy({ $0.isASCII && !$0.isWhitespace && !$0.isNewline }) else {
            throw APIError(.invalid("Idempotency-Key", "Idempotency-Key must be 1 to 255 visible ASCII characters."))
        }
        return key
    }

    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw APIError(.tooLarge("The request body is larger than \(limit) bytes."))
        }
    }
}
