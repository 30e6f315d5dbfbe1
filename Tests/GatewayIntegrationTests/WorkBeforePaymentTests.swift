import Foundation
import HummingbirdTesting
import ImageGateTestSupport
import Testing

/// A request the caller cannot pay for does no costly work: no reference image is fetched or decoded.
@Suite struct WorkBeforePaymentTests {
    @Test func aKeyWithNoCreditMakesTheServerFetchNothing() async throws {
        let references = try await CountingServer.start()
        let instance = try await TestInstance.make(creditMicros: 0, settings: ["allow-private-image-urls": "true"])
        defer { instance.cleanUp() }
        let urls = (0..<10).map { "http://127.0.0.1:\(references.port)/ref\($0).png" }
        try await instance.run { client in
            let response = try await client.generate(try body(set: ["mode": "edit", "image_urls": urls]), key: instance.apiKey)
            #expect(response.status == .init(code: 402), "\(response.text)")
            #expect(try response.json()["code"] as? String == "insufficient_balance")
        }
        #expect(references.connections == 0, "nothing was fetched for a request that cannot be paid")
        let balance = try await instance.balance()
        #expect(balance.available == 0 && balance.held == 0)
        try await references.stop()
    }

    @Test func theSameRequestWithCreditDoesFetch() async throws {
        // The control: with credit, the server does try the URLs (and refuses them as unreadable), so the test above
        // cannot pass for another reason.
        let references = try await CountingServer.start()
        let instance = try await TestInstance.make(settings: ["allow-private-image-urls": "true"])
        defer { instance.cleanUp() }
        try await instance.run { client in
            let response = try await client.generate(
                try body(set: ["mode": "edit", "image_urls": ["http://127.0.0.1:\(references.port)/ref.png"]]),
                key: instance.apiKey
            )
            #expect(response.status == .badRequest, "\(response.text)")
        }
        #expect(references.connections > 0)
        try await references.stop()
    }
}
