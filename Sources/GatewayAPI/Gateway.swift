import Accounts
import Billing
import Blobs
import Catalog
import Customers
import Essentials
import Generation
import Hummingbird
import Logging
import Payments
import Providers
import WebFace

/// What the HTTP layer needs, as interfaces; the bootstrap decides which implementations stand behind them.
package struct GatewayDependencies<Generations: GenerationUseCases>: Sendable {
    package var catalog: ModelCatalog
    package var generations: Generations
    package var outputs: OutputReads
    package var operations: Operations
    package var health: HealthChecks
    package var signer: OutputLinkSigner
    package var publicURL: String
    package var syncTimeout: Duration
    package var body: BodyLimits
    /// Every token the admin API accepts; empty: the admin API is off (404 on every route).
    package var adminTokens: [String]
    /// The date output links are judged against.
    package var clock: any WallClock = SystemClock()
    /// How long outputs are kept, for the model pages' retention sentence.
    package var retentionSeconds: Int64 = 7 * 24 * 3600
    /// The engine behind generations (`local` or `fal`), which the pages name.
    package var providerName = "local"
    /// Who sends an output's bytes once its link is checked.
    package var outputDelivery = OutputDelivery.proxy
    /// Proxies whose `X-Forwarded-For` names the client in the access log.
    package var trustedProxies = TrustedProxies.none
    /// Every usable route with its breaker, as it is now (`GET /admin/v1/routes`).
    package var routes: @Sendable () -> [RouteStatus] = { [] }
    /// Card top-ups through Stripe; nil (or without settings): the billing routes say payments are not set up.
    package var topUps: TopUps? = nil
    /// Self-service accounts (sign-up, sign-in, sessions, invites).
    package var customers: Customers

    package init(
        catalog: ModelCatalog,
        generations: Generations,
        outputs: OutputReads,
        operations: Operations,
        health: HealthChecks,
        signer: OutputLinkSigner,
        publicURL: String,
        syncTimeout: Duration,
        body: BodyLimits,
        adminTokens: [String],
        customers: Customers
    ) {
        self.customers = customers
        self.catalog = catalog
        self.generations = generations
        self.outputs = outputs
        self.operations = operations
        self.health = health
        self.signer = signer
        self.publicURL = publicURL
        self.syncTimeout = syncTimeout
        self.body = body
        self.adminTokens = adminTokens
    }
}

/// Builds every route of the public API.
package func buildRouter<Generations: GenerationUseCases>(_ deps: GatewayDependencies<Generations>) -> Router<GatewayRequestContext> {
    let router = Router(context: GatewayRequestContext.self)
    let methods = MethodTable()
    // The web face: pages from the same catalog, whose scripts call the API's routes with the person's key.
    let web = WebController<GatewayRequestContext>(
        pages: WebPages(
            catalog: deps.catalog,
            settings: WebSettings(
                publicURL: deps.publicURL,
                retentionSeconds: deps.retentionSeconds,
                adminEnabled: !deps.adminTokens.isEmpty,
                provider: deps.providerName,
                imageOrigins: deps.outputDelivery.imageOrigins,
                signupOpen: deps.customers.signupAvailable,
                cardPayments: deps.topUps?.isConfigured ?? false
            ),
            openAPI: PackageResources.openapi_json
        ),
        uptime: { [generations = deps.generations] model in
            // A page without the panel is better than no page: a failed read leaves it out.
            try? await generations.modelHealth(model: model)
        },
        viewer: { [customers = deps.customers] request in
            // A page without the person's name is better than no page: a failed read shows it signed out.
            guard let token = SessionCookie.token(in: request) else { return nil }
            return try? await customers.viewer(session: token)?.email
        }
    )
    router.addMiddleware {
        // Never the API key, a body or an output link's signature.
        RequestLogMiddleware(trustedProxies: deps.trustedProxies)
        MetricsMiddleware()
        ErrorMiddleware(methods: methods, web: web)
    }
    let health = deps.health
    // Liveness: the process answers and its database does.
    router.get("/health") { _, _ -> Response in
        try await health.live()
        return try JSONResponse.make(["status": "ok"])
    }
    // Readiness: the database and the blob store take writes, neither is full, and an upstream can be reached.
    // The answer names the reason, never the error behind it (that goes to the log).
    router.get("/ready") { _, context -> Response in
        do {
            try await health.ready()
        } catch let error as StorageFullError {
            return try JSONResponse.make(["status": "storage_full", "store": error.store.rawValue], status: .serviceUnavailable)
        } catch let error as HealthChecks.NotReady {
            context.logger.warning("not ready", metadata: ["reason": "\(error.reason.rawValue)", "error": "\(error.cause)"])
            return try JSONResponse.make(["status": "unavailable", "reason": error.reason.rawValue], status: .serviceUnavailable)
        } catch {
            return try JSONResponse.make(["status": "unavailable"], status: .serviceUnavailable)
        }
        return try JSONResponse.make(["status": "ready"])
    }
    // The contract: openapi.yaml, converted to JSON by scripts/openapi-json and compiled in.
    router.get("/openapi.json") { _, _ -> Response in
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
    }
    let links = OutputLinks(signer: deps.signer, baseURL: deps.publicURL)
    let v1 = router.group("v1")
    ModelsController(catalog: deps.catalog).addRoutes(to: v1)
    OutputsController(outputs: deps.outputs, signer: deps.signer, clock: deps.clock, delivery: deps.outputDelivery)
        .addRoutes(to: v1)

    let keys = APIKeyAuthenticator(operations: deps.operations)
    let authenticated = router.group("v1").add(middleware: keys)
    GenerationController(generations: deps.generations, links: links, syncTimeout: deps.syncTimeout, body: deps.body)
        .addRoutes(to: authenticated)
    // The account's own routes take a key, or a signed-in person's session (same-origin requests only).
    let sameOrigin = SameOriginCheck(publicURL: deps.publicURL)
    let accountDoor = router.group("v1").add(
        middleware: AccountAuthenticator(keys: keys, customers: deps.customers, sameOrigin: sameOrigin)
    )
    AccountController(operations: deps.operations).addRoutes(to: accountDoor)
    KeysController(operations: deps.operations).addRoutes(to: accountDoor)
    let billing = BillingController(topUps: deps.topUps, body: deps.body)
    billing.addRoutes(to: accountDoor)
    billing.addWebhook(to: router)

    // OpenAI's Images API: the same engine, OpenAI's shapes and error envelope.
    let openAI = router.group("v1").add(middleware: OpenAIErrorMiddleware(methods: methods)).add(middleware: keys)
    OpenAIImagesController(
        generations: deps.generations,
        links: links,
        syncTimeout: deps.syncTimeout,
        body: deps.body
    ).addRoutes(to: openAI)

    web.addRoutes(to: router)
    SignInController(
        customers: deps.customers,
        web: web,
        cookie: SessionCookie(publicURL: deps.publicURL),
        sameOrigin: sameOrigin,
        trustedProxies: deps.trustedProxies
    ).addRoutes(to: router)

    // The admin API exists only when the operator set a token.
    if !deps.adminTokens.isEmpty {
        let admin = router.group("admin/v1", context: AdminRequestContext.self).add(middleware: AdminAuthenticator(tokens: deps.adminTokens))
        AdminController(operations: deps.operations, customers: deps.customers, routes: deps.routes).addRoutes(to: admin)
    }
    methods.load(from: router)
    return router
}

/// The metrics listener's routes: `GET /metrics` in Prometheus' text format. Kept off the public router, because
/// the metrics show money totals and traffic: it listens on its own address (loopback by default), for a scraper.
package func buildMetricsRouter(metricsText: @escaping @Sendable () async -> [UInt8]) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.get("/metrics") { _, _ -> Response in
        Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: await metricsText()))
        )
    }
    return router
}
