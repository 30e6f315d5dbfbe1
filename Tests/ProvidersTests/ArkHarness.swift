import ArkEmulator
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs `imagegate ark-emulator` (or another protocol's emulator on its engine: `application`) in this process on a
/// free loopback port for the duration of a test.
struct ArkHarness {
    let configuration: ArkEmulatorConfiguration

    /// The emulator's address, as a Replicate route names it.
    var root: String { "http://127.0.0.1:\(self.configuration.port)" }
    var baseURL: String { "\(self.root)/api/v3" }

    static func with<T: Sendable>(
        _ configure: (inout ArkEmulatorConfiguration) -> Void = { _ in },
        application: (ArkEmulatorConfiguration, Logger) -> any Service = ArkEmulator.application,
        _ body: @Sendable (ArkHarness) async throws -> T
    ) async throws -> T {
        var configuration = ArkEmulatorConfiguration()
        let probe = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        configuration.port = probe.localAddress?.port ?? 0
        try await probe.close()
        configure(&configuration)
        var logger = Logger(label: "ark-emulator-test")
        logger.logLevel = .error
        let group = ServiceGroup(configuration: .init(services: [application(configuration, logger)], logger: logger))
        let harness = ArkHarness(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { Task { await group.triggerGracefulShutdown() } }
            try await harness.waitUntilListening()
            let result = try await body(harness)
            await group.triggerGracefulShutdown()
            return result
        }
    }

    /// The emulator's counters.
    func stats() async throws -> [String: Int] {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(self.configuration.port)/_emulator/stats"),
            timeout: .seconds(5)
        )
        let body = try await response.body.collect(upTo: 1 << 16)
        let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] ?? [:]
        return object.compactMapValues { $0 as? Int }
    }

    func waitUntilListening() async throws {
        for _ in 0..<100 {
            if (try? await self.stats()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }
}
