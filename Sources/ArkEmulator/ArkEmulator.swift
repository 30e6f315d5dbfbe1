import Hummingbird
import Logging
import ServiceLifecycle

/// `imagegate ark-emulator`: BytePlus ModelArk's synchronous `POST /api/v3/images/generations`, offline, over
/// loopback, for development and tests, and the OpenAI-compatible and Replicate emulators on the same engine. Images
/// come from the local engine at the requested size.
package enum ArkEmulator {
    package static func application(_ configuration: ArkEmulatorConfiguration, logger: Logger) -> any Service {
        let router = Router()
        ArkEmulatorRoutes(state: ArkState(configuration: configuration), configuration: configuration).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ark-emulator"),
            logger: logger
        )
    }

    /// `imagegate openai-emulator`: the OpenAI-compatible image server on the same engine and knobs.
    package static func openAIApplication(_ configuration: ArkEmulatorConfiguration, logger: Logger) -> any Service {
        let router = Router()
        OpenAIEmulatorRoutes(state: ArkState(configuration: configuration, protocol: "openai"), configuration: configuration).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "openai-emulator"),
            logger: logger
        )
    }

    /// `imagegate replicate-emulator`: Replicate's predictions API (asynchronous: create, poll, cancel) on the same
    /// engine and knobs.
    package static func replicateApplication(_ configuration: ArkEmulatorConfiguration, logger: Logger) -> any Service {
        let router = Router()
        ReplicateEmulatorRoutes(configuration: configuration).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "replicate-emulator"),
            logger: logger
        )
    }
}
