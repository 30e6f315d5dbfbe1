import AsyncHTTPClient
import Blobs
import Catalog
import GatewayAPI
import Generation
import Hummingbird
import Logging
import NIOCore
import Providers
import Storage

/// Errors in the configuration, reported before anything starts.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
}

/// Wires the live implementations together and returns the application; `imagegate serve` and the tests both
/// call this, so tests exercise exactly what production runs.
public func buildApplication(_ config: AppConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    guard config.provider == "local" else {
        throw ConfigurationError(description: "unknown --provider '\(config.provider)' (available: local)")
    }
    let environment = try await Environment.open(
        dataDirectory: config.dataDirectory,
        databasePath: config.databasePath,
        catalogPath: config.catalogPath,
        logger: logger
    )
    let secret = try await Settings.value(named: "output_link_secret", in: environment.database) { OutputLinkSigner.newSecretHex() }
    let signer = OutputLinkSigner(secretHex: secret)

    // Redirects are followed by hand where needed (reference images), so every hop passes the address checks.
    var clientConfiguration = HTTPClient.Configuration(redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10)))
    clientConfiguration.httpVersion = .automatic
    let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: clientConfiguration)

    let queue = JobQueue()
    let settings = GenerationSettings(retentionMillis: config.outputRetentionSeconds * 1000, workers: config.workers)
    let generations = GenerationService(
        catalog: environment.catalog,
        database: environment.database,
        blobs: environment.blobs,
        provider: LocalProvider(),
        references: ReferenceLoader(httpClient: httpClient, allowPrivateAddresses: config.allowPrivateImageURLs),
        mirror: OutputMirror(blobs: environment.blobs, httpClient: httpClient, maxBytes: settings.maxOutputBytes),
        queue: queue,
        settings: settings
    )
    let router = buildRouter(
        GatewayDependencies(
            catalog: environment.catalog,
            database: environment.database,
            blobs: environment.blobs,
            generations: generations,
            signer: signer,
            publicURL: config.resolvedPublicURL,
            syncTimeout: .seconds(config.syncTimeoutSeconds),
            maxBodyBytes: config.maxBodyBytes,
            adminToken: config.adminToken
        )
    )
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "ImageGate"),
        services: [
            DatabaseService(database: environment.database),
            HTTPClientService(client: httpClient),
            GenerationWorkers(service: generations, queue: queue, workers: config.workers, logger: logger),
            OutputJanitor(outputs: generations.outputs, blobs: environment.blobs, interval: .seconds(config.janitorIntervalSeconds), logger: logger),
        ],
        logger: logger
    )
}
