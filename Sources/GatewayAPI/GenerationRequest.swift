import Billing
import Generation
import Hummingbird
import HummingbirdAuth
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
            keyRateLimits: identity.rateLimits,
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

    /// Reads the whole body, refusing one larger than `limit` (413) or slower than `deadline` (408): a client that
    /// sends a byte a second must not hold a connection and a worker for the hours a large body would take.
    static func collect(_ request: Request, limit: Int, deadline: Duration) async throws -> [UInt8] {
        let body = request.body
        do {
            return try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
                group.addTask { Array(try await body.collect(upTo: limit).readableBytesView) }
                group.addTask {
                    try await Task.sleep(for: deadline)
                    return nil
                }
                defer { group.cancelAll() }
                guard let bytes = try await group.next() ?? nil else {
                    throw APIError(.bodyTimeout(seconds: deadline.components.seconds))
                }
                return bytes
            }
        } catch is NIOTooManyBytesError {
            throw APIError(.tooLarge("The request body is larger than \(limit) bytes."))
        }
    }
}
