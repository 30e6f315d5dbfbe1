import Hummingbird
import HummingbirdTLS
import Logging
import NIOSSL
import ServiceLifecycle

/// `imagegate fal-emulator`: fal.ai's queue host and synchronous host, offline, over loopback, for development,
/// tests and benchmarks. Images come from the local engine at the requested size.
package enum FalEmulator {
    /// Builds the queue-host application and, with a sync port, the `fal.run`-style one, sharing one state.
    package static func applications(_ configuration: FalEmulatorConfiguration, logger: Logger) throws -> [any Service] {
        let queue = FalQueue(configuration: configuration)
        var services: [any Service] = [
            try self.application(queue: queue, configuration: configuration, port: configuration.port, synchronous: false, logger: logger)
        ]
        if let syncPort = configuration.syncPort {
            services.append(try self.application(queue: queue, configuration: configuration, port: syncPort, synchronous: true, logger: logger))
        }
        return services
    }

    static func application(queue: FalQueue, configuration: FalEmulatorConfiguration, port: Int, synchronous: Bool, logger: Logger) throws
        -> any Service
    {
        let router = Router()
        FalEmulatorRoutes(queue: queue, configuration: configuration, synchronous: synchronous).register(on: router)
        let address = BindAddress.hostname(configuration.host, port: port)
        let name = synchronous ? "fal-emulator (sync)" : "fal-emulator (queue)"
        if let certificate = configuration.tlsCertificatePath, let key = configuration.tlsKeyPath {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            )
            return Application(
                router: router,
                server: try .tls(.http1(), tlsConfiguration: tls),
                configuration: .init(address: address, serverName: name),
                logger: logger
            )
        }
        return Application(router: router, configuration: .init(address: address, serverName: name), logger: logger)
    }
}
