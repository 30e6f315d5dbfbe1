import AsyncHTTPClient
import FalEmulator
import Foundation
import ImageGateTestSupport
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import StorageTestSupport

/// Runs `imagegate fal-emulator`'s servers in this process on free loopback ports, for the duration of a test.
struct EmulatorHarness {
    let configuration: FalEmulatorConfiguration

    var queueURL: String { "http://127.0.0.1:\(self.configuration.port)" }

    /// Starts the emulator with `configure` applied, runs `body`, then shuts it down.
    static func with<T: Sendable>(
        _ configure: (inout FalEmulatorConfiguration) -> Void = { _ in },
        _ body: @Sendable (EmulatorHarness) async throws -> T
    ) async throws -> T {
        var configuration = FalEmulatorConfiguration()
        configuration.port = try freePort()
        configuration.syncPort = nil
        configure(&configuration)
        var logger = Logger(label: "fal-emulator-test")
        logger.logLevel = .error
        let services = try FalEmulator.applications(configuration, logger: logger)
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        let harness = EmulatorHarness(configuration: configuration)
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            try await harness.waitUntilListening()
            return try await withCleanup {
                try await body(harness)
            } cleanup: {
                await group.triggerGracefulShutdown()
            }
        }
    }

    /// The emulator's counters.
    func stats() async throws -> [String: Int] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(self.queueURL)/_emulator/stats"), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        return try JSONDecoder().decode([String: Int].self, from: Data(body.readableBytesView))
    }

    func waitUntilListening() async throws {
        for _ in 0..<100 {
            if (try? await self.stats()) != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw CancellationError()
    }
}

/// A port nothing listens on right now (bind to port 0, read it, close).
func freePort() throws -> Int {
    let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
    let port = channel.localAddress?.port ?? 0
    try channel.close().wait()
    return port
}
