import AsyncHTTPClient
import Catalog
import Logging
import NIOCore
import Providers

/// The provider of every model: each model's usable routes as `plan` chose them, behind one `RoutedProvider`.
func makeProvider(
    _ config: AppConfiguration,
    catalog: ModelCatalog,
    plan: RoutePlan,
    httpClient: HTTPClient,
    submitClient: HTTPClient,
    arkClient: HTTPClient,
    breakers: RouteBreakers,
    logger: Logger
) throws -> RoutedProvider {
    var routes: [String: [RoutedProvider.Assignment]] = [:]
    for model in catalog.models {
        routes[model.id] = try plan.choices[model.id, default: []].map { choice in
            try makeRouteProvider(
                model,
                choice: choice,
                config: config,
                httpClient: httpClient,
                submitClient: submitClient,
                arkClient: arkClient,
                logger: logger
            )
        }
    }
    return RoutedProvider(routes: routes, breakers: breakers)
}

/// The provider that speaks one route's protocol, configured for that route.
func makeRouteProvider(
    _ model: ModelSpec,
    choice: RoutePlan.Choice,
    config: AppConfiguration,
    httpClient: HTTPClient,
    submitClient: HTTPClient,
    arkClient: HTTPClient,
    logger: Logger
) throws -> RoutedProvider.Assignment {
    guard let route = choice.route else { return .init(route: nil, provider: LocalProvider()) }
    let provider: any ImageProvider
    switch route.provider {
    case .local:
        provider = LocalProvider()
    case .fal:
        guard let generate = config.falGenerateEndpoint ?? route.generateEndpoint,
            let edit = config.falEditEndpoint ?? route.editEndpoint ?? route.generateEndpoint
        else {
            throw ConfigurationError(description: "no fal endpoints for '\(model.id)': set --fal-endpoint-generate and --fal-endpoint-edit")
        }
        var configuration = FalConfiguration(
            key: choice.key ?? "",
            queueURL: choice.baseURL ?? config.falQueueURL,
            generateEndpoint: generate,
            editEndpoint: edit
        )
        if let seconds = route.timeoutSeconds { configuration.callTimeout = .seconds(Int64(seconds)) }
        configuration.queueTimeout = route.queueTimeoutSeconds.map { .seconds($0) }
        if let seconds = route.deadlineSeconds { configuration.deadline = .seconds(seconds) }
        configuration.sendsSeed = route.abilities?.honoursSeed ?? false
        provider = FalProvider(configuration: configuration, httpClient: httpClient, submitClient: submitClient, logger: logger)
    case .ark:
        guard let model = route.model, let baseURL = choice.baseURL else {
            throw ConfigurationError(description: "model '\(model.id)': its ark route needs a model id and an address")
        }
        var configuration = ArkConfiguration(key: choice.key ?? "", baseURL: baseURL, model: model)
        if let seconds = route.timeoutSeconds { configuration.callTimeout = .seconds(Int64(seconds)) }
        if let pixels = route.abilities?.minPixels { configuration.minPixels = pixels }
        configuration.outputFormats = route.abilities?.outputFormats ?? []
        configuration.sendsSeed = route.abilities?.honoursSeed ?? false
        // Read time-out = the call's: Ark answers nothing until every image is made.
        provider = ArkProvider(configuration: configuration, client: arkClient, logger: logger)
    case .openai:
        guard let model = route.model, let baseURL = choice.baseURL else {
            throw ConfigurationError(description: "model '\(model.id)': its openai route needs a model id and an address")
        }
        var configuration = OpenAIConfiguration(key: choice.key ?? "", baseURL: baseURL, model: model)
        if let seconds = route.timeoutSeconds { configuration.callTimeout = .seconds(Int64(seconds)) }
        configuration.outputFormats = route.abilities?.outputFormats ?? []
        configuration.sendsSeed = route.abilities?.honoursSeed ?? false
        configuration.responseFormat = route.responseFormat
        provider = OpenAIProvider(configuration: configuration, client: arkClient, logger: logger)
    case .replicate:
        guard let upstream = route.model, let baseURL = choice.baseURL else {
            throw ConfigurationError(description: "model '\(model.id)': its replicate route needs a model and an address")
        }
        var configuration = ReplicateConfiguration(key: choice.key ?? "", baseURL: baseURL, model: upstream)
        // The calls are short; the wait is for the whole prediction.
        if let seconds = route.deadlineSeconds ?? route.timeoutSeconds { configuration.deadline = .seconds(seconds) }
        configuration.queueTimeout = route.queueTimeoutSeconds.map { .seconds($0) }
        configuration.outputFormats = route.abilities?.outputFormats ?? []
        provider = ReplicateProvider(configuration: configuration, httpClient: httpClient, submitClient: submitClient, logger: logger)
    }
    return .init(route: route, provider: provider)
}
