import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import StorageTestSupport
import Testing

/// `--output-delivery accel`: the check nginx makes before sending an output itself, and how long it may keep the
/// answer (never into the last second of the link).
@Suite struct AccelLinkCheckTests {
    static let check: HTTPFields = [HTTPField.Name("X-ImageGate-Link-Check")!: "1"]

    @Test func aCheckNamesTheFileAndIsKeptAtMostTenSecondsAndNeverIntoTheLinksLastSeconds() async throws {
        let clock = ManualClock()
        let instance = try await TestInstance.make(settings: ["output-retention": "20s", "output-delivery": "accel"]) { $0.clock = clock }
        defer { instance.cleanUp() }
        try await instance.run { client in
            let json = try await client.generate(quickstartBody, key: instance.apiKey).json()
            let url = try pathAndQuery(try #require(json["output_url"] as? String))
            let expiresAt = try #require(
                (json["expires_at"] as? String).flatMap { try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse($0) }
            )
            let end = Int64(expiresAt.timeIntervalSince1970 * 1000)

            let early = try await client.execute(uri: url, method: .get, headers: Self.check)
            #expect(early.status == .ok && early.body.readableBytes == 0)
            #expect(early.headers[HTTPField.Name("X-ImageGate-Blob")!]?.hasPrefix("outputs/") == true)
            #expect(early.headers[HTTPField.Name("X-Accel-Expires")!] == "10", "at most 10 s, though the link has about 20 left")
            #expect(early.headers[HTTPField.Name("X-Accel-Redirect")!] == nil, "the check sends no file")
            #expect(early.headers[.eTag] != nil && early.headers[.contentDisposition] != nil && early.headers[.cacheControl] != nil)

            // 5.5 s left: kept 3 s (5 whole seconds, less one for nginx's rounding and one for its clock).
            clock.advance(byMillis: end - 5_500 - clock.nowMillis())
            #expect(try await client.execute(uri: url, method: .get, headers: Self.check).headers[HTTPField.Name("X-Accel-Expires")!] == "3")
            // 2.9 s left: still good, but not to be kept at all.
            clock.advance(byMillis: 2_600)
            let last = try await client.execute(uri: url, method: .get, headers: Self.check)
            #expect(last.status == .ok && last.headers[HTTPField.Name("X-Accel-Expires")!] == "0")

            // Another extension than the output's: nginx would send it with that type, so the replica answers it.
            let renamed = url.replacingOccurrences(of: ".png?", with: ".jpg?")
            #expect(renamed != url)
            #expect(try await client.execute(uri: renamed, method: .get, headers: Self.check).status == .forbidden)
            #expect(try await client.get(renamed).headers[HTTPField.Name("X-Accel-Redirect")!]?.hasSuffix(".png") == true)

            // A forged link, and the link past its end: 403 to the check, the exact answer to the reader.
            let forged = url.replacingOccurrences(of: "sig=", with: "sig=0")
            #expect(try await client.execute(uri: forged, method: .get, headers: Self.check).status == .forbidden)
            #expect(try await client.get(forged).status == .notFound)
            clock.advance(byMillis: 3_000)
            #expect(try await client.execute(uri: url, method: .get, headers: Self.check).status == .forbidden)
            let gone = try await client.get(url)
            #expect(gone.status == .gone)
            #expect(try gone.json()["code"] as? String == "output_expired")
        }
    }

    @Test func withoutAccelTheCheckHeaderChangesNothing() async throws {
        let instance = try await TestInstance.make()
        defer { instance.cleanUp() }
        try await instance.run { client in
            let url = try pathAndQuery(try #require(try await client.generate(quickstartBody, key: instance.apiKey).json()["output_url"] as? String))
            let answer = try await client.execute(uri: url, method: .get, headers: Self.check)
            #expect(answer.status == .ok && answer.body.readableBytes > 0)
            #expect(answer.headers[HTTPField.Name("X-Accel-Expires")!] == nil)
        }
    }
}
