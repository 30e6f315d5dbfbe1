import Billing
import Generation
import Hummingbird
import NIOCore

/// What every generation route does with its HTTP request: reads the body and the `Idempotency-Key`, and hands the
/// caller's request to the use cases, answering refusals in the API's error shape.
enum GenerationRequest {
    /// Creates a generation for the authenticated caller of `request`.
    static func create(
        on generations: some GenerationUseCases,
        parameters: NewGeneration.Parameters,
        request: Request,
        context: GatewayRequestContext,
        wait: Duration?,
        names: ParameterNames = .native
    ) async throws -> CreatedGeneration {
        let identity = try context.requireIdentity()
        let newGeneration = NewGeneration(
            parameters: parameters,
            accountID: identity.accountID,
            apiKeyID: identity.keyID,
            idempotencyKey: try Self.idempotencyKey(request),
            wait: wait,
            names: names,
            logger: context.logger
        )
        do {
            return try await generations.create(newGeneration)
        } catch let error as RequestError {
            throw APIError(error)
        }
    }

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
