import Accounts
import AsyncHTTPClient
import Billing
import Blobs
import Catalog
import Customers
import GatewayAPI
import Generation
import Hummingbird
import JobEngine
import Logging
import Mail
import NIOCore
import Outbound
import Payments
import Providers
import ServiceLifecycle
import Storage
import Webhooks

/// Errors in the configuration, reported before anything starts.
package struct ConfigurationError: Error, CustomStringConvertible {
    package let description: String
}

/// Wires the live implementations together and returns the application; `imagegate serve` and the tests both
/// call this, so tests exercise exactly what production runs.
package func buildApplication(_ config: AppConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let (router, services) = try await buildGateway(config, logger: logger)
    return Application(
        router: router,
        server: .http1(
            configuration: .init(additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: .seconds(config.headerTimeoutSeconds))])
        ),
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "ImageGate"),
        services: services,
        logger: logger
    )
}

/// The router and the background services of one ImageGate process.
package func buildGateway(_ config: AppConfiguration, logger: Logger) async throws -> (Router<GatewayRequestContext>, [any Service]) {
    let environment = try await Environment.open(
        config.data,
        catalogPath: config.catalogPath,
        databasePoolSize: config.databasePoolSize,
        logger: logger
    )
    // Outputs never change, and a link read once is often read again: keep the recently read ones in memory.
    let blobs: any BlobStore =
        config.outputCacheBytes > 0
        ? MemoryCachedBlobStore(base: environment.blobs, capacityBytes: config.outputCacheBytes, cachedPrefix: OutputStore.blobKeyPrefix)
        : environment.blobs
    let secret = try await Settings.value(named: "output_link_secret", in: environment.database) { OutputLinkSigner.newSecretHex() }
    let signer = OutputLinkSigner(secretHex: secret)

    // Hundreds of generations talk to the upstream at once (submits, polls, downloads): AHC's default of 8
    // connections per host would queue them behind each other.
    let plan = try RoutePlan.make(config, catalog: environment.catalog)
    plan.log(logger, catalog: environment.catalog)
    let workers = config.resolvedWorkers(upstream: plan.usesUpstream)
    let clientConfiguration = HTTPClient.Configuration.outbound(connectionsPerHost: max(64, workers * 2))
    let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)
    let submitClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .submits())
    // Synchronous suppliers (Ark, OpenAI-compatible) answer only when every image is made: a read time-out as long
    // as the call's.
    let arkClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .submits(readTimeout: .seconds(600)))

    var settings = GenerationSettings(
        retentionMillis: config.outputRetentionSeconds * 1000,
        leaseMillis: config.leaseSeconds * 1000,
        sweepIntervalMillis: min(10, config.leaseSeconds) * 1000,
        workers: workers,
        clock: config.clock
    )
    settings.defaultRateLimits = [.requests: config.requestsPerMinute, .images: config.imagesPerMinute]
    settings.maxQueued = config.maxQueued
    settings.maxQueuedPerAccount = config.maxQueuedPerAccount
    settings.webhooks.allowPrivateAddresses = config.allowPrivateWebhookURLs
    settings.webhooks.firstRetryMillis = config.webhookFirstRetrySeconds * 1000
    let provider = try makeProvider(
        config,
        catalog: environment.catalog,
        plan: plan,
        httpClient: httpClient,
        submitClient: submitClient,
        arkClient: arkClient,
        breakers: RouteBreakers(policy: .init(cooldownMillis: config.breakerCooldownSeconds * 1000), clock: config.clock),
        logger: logger
    )
    let webhookBell = WebhookBell()
    let engine = EngineDependencies(
        catalog: environment.catalog,
        database: environment.database,
        blobs: blobs,
        provider: provider,
        references: ReferenceLoader(allowPrivateAddresses: config.allowPrivateImageURLs),
        mirror: OutputMirror(blobs: blobs, httpClient: httpClient, maxBytes: settings.maxOutputBytes),
        settings: settings,
        webhookBell: webhookBell
    )
    let generations = GenerationService(engine.generation)
    Observability.bootstrapMetrics()
    let upstreams = UpstreamProbes.checks(config, plan: plan, httpClient: httpClient)
    var dependencies = GatewayDependencies(
        catalog: environment.catalog,
        generations: generations,
        outputs: OutputReads(database: environment.database, blobs: blobs),
        operations: Operations(database: environment.database),
        health: HealthChecks(
            database: environment.database,
            blobs: environment.blobs,
            clock: config.clock,
            upstreams: upstreams
        ),
        signer: signer,
        publicURL: config.resolvedPublicURL,
        syncTimeout: .seconds(config.syncTimeoutSeconds),
        body: BodyLimits(maxBytes: config.maxBodyBytes, deadline: .seconds(config.bodyTimeoutSeconds)),
        adminTokens: config.adminTokens,
        // Without mail settings nobody can sign up (the settings refuse `--signup open` without them).
        customers: Customers(
            database: environment.database,
            settings: config.customers,
            mailer: config.mail.map { SMTPMailer(settings: $0, logger: logger) },
            logger: logger
        )
    )
    dependencies.clock = config.clock
    dependencies.retentionSeconds = config.outputRetentionSeconds
    // The pages say "local stand-in" only when no model reaches a supplier.
    dependencies.providerName = provider.isLocalOnly ? "local" : config.provider
    dependencies.outputDelivery = try outputDelivery(config, store: environment.blobs)
    dependencies.trustedProxies = config.trustedProxies
    dependencies.routes = { [catalog = environment.catalog] in provider.statuses(catalog) }
    dependencies.topUps = config.topUps.map {
        TopUps(database: environment.database, settings: $0, client: httpClient, clock: config.clock, logger: logger)
    }
    let router = buildRouter(dependencies)
    let payloads = WebhookPayloads(links: OutputLinks(signer: signer, baseURL: config.resolvedPublicURL))
    var services: [any Service] = [
        DatabaseService(database: environment.database),
        HTTPClientService(client: httpClient),
        HTTPClientService(client: submitClient),
        HTTPClientService(client: arkClient),
        GenerationWorkers(engine, workers: workers, logger: logger),
        WebhookDispatcher(database: environment.database, settings: settings.webhooks, clock: config.clock, bell: webhookBell, logger: logger) {
            try await payloads.body(of: $0, from: generations)
        },
        OutputJanitor(
            database: environment.database,
            blobs: blobs,
            interval: .seconds(config.janitorIntervalSeconds),
            logger: logger,
            clock: config.clock
        ),
    ]
    if let port = config.metricsPort {
        services.append(
            Application(
                router: buildMetricsRouter(
                    metricsText: MetricsScrape(database: environment.database, upstreams: upstreams, routes: provider, clock: config.clock).text
                ),
                configuration: .init(address: .hostname(config.metricsHost, port: port), serverName: "ImageGate metrics"),
                logger: logger
            )
        )
    }
    return (router, services)
}

/// `--output-delivery` matched with the store: `redirect` needs one that presigns (S3), `accel` files nginx can read.
func outputDelivery(_ config: AppConfiguration, store: any BlobStore) throws -> OutputDelivery {
    switch config.outputDelivery {
    case .proxy:
        return .proxy
    case .redirect:
        guard let store = store as? any PresigningBlobStore else {
            throw ConfigurationError(description: "--output-delivery redirect needs a store that presigns links: --blob-store s3://…")
        }
        return .redirect(store: store, seconds: config.redirectSeconds)
    case .accel:
        guard store is FileBlobStore else {
            throw ConfigurationError(description: "--output-delivery accel needs blobs on a disk nginx reads (the default --blob-store)")
        }
        guard config.accelPrefix.hasPrefix("/"), config.accelPrefix.hasSuffix("/") else {
            throw ConfigurationError(description: "--accel-prefix must start and end with /")
        }
        return .accel(prefix: config.accelPrefix)
    }
}
