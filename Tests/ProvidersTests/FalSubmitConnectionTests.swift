import AsyncHTTPClient
import Catalog
import Logging
import Outbound
import Testing

@testable import Providers

/// A submit never rides a pooled keep-alive connection (issue 23, item 6): there, a server closing the idle
/// connection races the submit written on it, and the client's `remoteConnectionClosed` cannot say whether any of
/// it left, so the generation failed with a recorded loss. On a connection of its own, a failure before sending is
/// a failure to connect, which is resent safely.
@Suite struct FalSubmitConnectionTests {
    @Test func everySubmitHasAConnectionOfItsOwnWhileReadsShareThePool() async throws {
        let server = try await ConnectionCountingServer.start()
        let reads = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .outbound())
        let submits = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .submits())
        do {
            let provider = FalProvider(
                configuration: FalConfiguration(key: "k", queueURL: server.url, generateEndpoint: "fal-ai/model", editEndpoint: "fal-ai/model/edit"),
                httpClient: reads,
                submitClient: submits,
                logger: Logger(label: "fal")
            )
            let request = try FalInputTests.request(mode: .generate, references: [])
            for _ in 0..<3 {
                // A read leaves a pooled connection idle, as a status poll does, just before the next submit.
                if case .failed(let error) = await provider.read("\(server.url)/status") { Issue.record("read failed: \(error)") }
                _ = try await provider.submit(request)
            }
            let log = server.requests
            #expect(log.filter { $0.method == .POST }.map(\.place) == [1, 1, 1], "each submit was its connection's first request: \(log)")
            #expect(log.filter { $0.method == .GET }.map(\.place) == [1, 2, 3], "reads reuse their connection: \(log)")
        } catch {
            Issue.record(error)
        }
        try await reads.shutdown()
        try await submits.shutdown()
        try await server.stop()
    }
}
