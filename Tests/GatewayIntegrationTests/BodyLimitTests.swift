import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import NIOCore
import Testing

/// Each route reads at most what it needs: a route without images refuses a body a route with images would take.
@Suite struct BodyLimitTests {
    @Test func aRouteWithoutImagesReadsAtMostOneMebibyte() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        // A valid request padded past 1 MiB with whitespace: fine on /v1/generate, too large where no image travels.
        let padded = "{\"model\": \"seedream-5-lite\", \"prompt\": \"a fox\"" + String(repeating: " ", count: 1 << 20) + "}"
        try await instance.run { client in
            let headers: HTTPFields = [.authorization: "Bearer \(instance.apiKey)", .contentType: "application/json"]
            let openAI = try await client.execute(uri: "/v1/images/generations", method: .post, headers: headers, body: ByteBuffer(string: padded))
            #expect(openAI.status == .contentTooLarge, "\(openAI.text)")
            let native = try await client.generate(padded, key: instance.apiKey)
            #expect(native.status == .ok, "\(native.text)")
        }
        let balance = try await instance.balance()
        #expect(balance.available == 10_000_000 - 14_000, "only the native request was charged")
    }
}
