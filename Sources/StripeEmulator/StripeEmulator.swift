import Hummingbird
import Logging
import ServiceLifecycle

/// `imagegate stripe-emulator`: a fake Stripe for the tests and for trying card top-ups offline (Stripe's own mock
/// cannot be installed here). Its fidelity is checked with Stripe's official Python library, as a client and as the
/// verifier of its signed events (`e2e/test_payments.py`).
package enum StripeEmulator {
    package static func application(_ configuration: StripeEmulatorConfiguration, logger: Logger) -> any Service {
        let router = Router()
        StripeEmulatorRoutes(state: StripeState(), configuration: configuration).register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "stripe-emulator"),
            logger: logger
        )
    }
}
