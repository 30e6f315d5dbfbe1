import Blobs
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Imaging
import Testing

@testable import Billing
@testable import GatewayAPI
@testable import Generation

/// The native generation routes in front of a scripted use-case double: HTTP translation only, no database, no
/// engine. (The same routes against the real engine are in GatewayIntegrationTests.)
@Suite struct GenerationControllerTests {
    static let catalog = try! ModelCatalog.bundled()
    static let caller = AuthenticatedKey(keyID: "key_1", accountID: "acct_1")

    /// A router with the controller behind a stand-in for the authenticator that sets a fixed caller.
    static func router(_ generations: ScriptedGenerations) -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self)
        router.addMiddleware { ErrorMiddleware(methods: MethodTable()) }
        let group = router.group("v1").add(middleware: FixedCaller(identity: Self.caller))
        GenerationController(
            generations: generations,
            links: OutputLinks(signer: OutputLinkSigner(secretHex: String(repeating: "ab", count: 32)), baseURL: "http://test"),
            syncTimeout: .seconds(7),
            body: BodyLimits(maxBytes: 1 << 20, deadline: .seconds(10))
        ).addRoutes(to: group)
        return router
    }

    static func record(_ status: GenerationStatus) -> GenerationRecord {
        let parameters = GenerateParameters(
            model: "seedream-5-lite",
            mode: .generate,
            prompt: "p",
            aspectRatio: "1:1",
            size: "2K",
            numImages: 1,
            seed: 1,
            outputFormat: .png,
            imageURLs: []
        )
        return GenerationRecord(
            id: "gen_1",
            accountID: "acct_1",
            apiKeyID: "key_1",
            model: "seedream-5-lite",
            mode: .generate,
            status: status,
            provider: "local",
            request: StoredRequest(
                parameters: parameters,
                seed: 1,
                resolvedAspectRatio: "1:1",
                pixelSize: PixelSize(width: 2048, height: 2048),
                referenceKeys: [],
                referenceSources: [],
                seedHonoured: true
            ),
            numImages: 1,
            seed: 1,
            pricePerImage: MicroUSD(micros: 14_000),
            upstreamCost: .zero,
            hold: MicroUSD(micros: 14_000),
            charged: .zero,
            refunded: status == .failed ? MicroUSD(micros: 14_000) : .zero,
            images: [],
            attempts: 1,
            createdAt: 1_800_000_000_000
        )
    }

    @Test func respondAsyncAsksForNoWaitAndAnswers202WithTheLocation() async throws {
        let generations = ScriptedGenerations(catalog: Self.catalog, creates: [.success(.init(record: Self.record(.queued), replayed: false))])
        try await Application(router: Self.router(generations)).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/generate",
                method: .post,
                headers: [HTTPField.Name("Prefer")!: "respond-async", HTTPField.Name("Idempotency-Key")!: "k-1"],
                body: ByteBuffer(string: #"{"model":"seedream-5-lite","prompt":"p"}"#)
            )
            #expect(response.status == .accepted)
            #expect(response.headers[.location] == "/v1/generations/gen_1")
        }
        let asked = try #require(generations.requests.first)
        #expect(asked.wait == nil && asked.idempotencyKey == "k-1" && asked.accountID == "acct_1" && asked.apiKeyID == "key_1")
    }

    @Test func aSynchronousCallWaitsTheSyncTimeoutAndAFailureIs502() async throws {
        let generations = ScriptedGenerations(catalog: Self.catalog, creates: [.success(.init(record: Self.record(.failed), replayed: true))])
        try await Application(router: Self.router(generations)).test(.router) { client in
            let response = try await client.execute(uri: "/v1/generate", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.status == .badGateway)
            #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
        }
        #expect(generations.requests.first?.wait == .seconds(7))
    }

    @Test func aRefusalKeepsItsCodeAndParameter() async throws {
        let generations = ScriptedGenerations(catalog: Self.catalog, creates: [.failure(.invalid("num_images", "num_images must be from 1 to 6."))])
        try await Application(router: Self.router(generations)).test(.router) { client in
            let response = try await client.execute(uri: "/v1/generate", method: .post, body: ByteBuffer(string: "{}"))
            #expect(response.status == .badRequest)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(body?["code"] as? String == "invalid_parameter" && body?["param"] as? String == "num_images")
        }
    }

    @Test func aBadIdempotencyKeyIsRefusedBeforeTheUseCase() async throws {
        let generations = ScriptedGenerations(catalog: Self.catalog, creates: [])
        try await Application(router: Self.router(generations)).test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/generate",
                method: .post,
                headers: [HTTPField.Name("Idempotency-Key")!: "has space"],
                body: ByteBuffer(string: "{}")
            )
            #expect(response.status == .badRequest)
        }
        #expect(generations.requests.isEmpty)
    }
}

/// Stands in for `APIKeyAuthenticator`: every request comes from `identity`.
struct FixedCaller: RouterMiddleware {
    let identity: AuthenticatedKey

    func handle(_ request: Request, context: GatewayRequestContext, next: (Request, GatewayRequestContext) async throws -> Response)
        async throws -> Response
    {
        var context = context
        context.identity = self.identity
        return try await next(request, context)
    }
}
