import FalEmulator
import Foundation
import HTTPTypes
import HummingbirdTesting
import ImageGateApp
import ImageGateTestSupport
import SQLKit
import Storage
import Testing

/// ImageGate with `--provider fal` against the fal emulator, over real loopback HTTP.
@Suite struct FalProviderTests {
    /// An ImageGate instance wired to the emulator.
    static func instance(_ emulator: EmulatorHarness, credit: Int64 = 10_000_000) async throws -> TestInstance {
        try await TestInstance.make(
            creditMicros: credit,
            settings: ["provider": "fal", "fal-key": "test-key", "fal-queue-url": emulator.queueURL, "allow-private-image-urls": "true"]
        )
    }

    @Test(arguments: [1, 6])
    func generatesThroughFal(numImages: Int) async throws {
        try await EmulatorHarness.with { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                let response = try await client.generate(
                    try body(set: ["num_images": numImages, "size": "2K", "aspect_ratio": "21:9"]),
                    key: instance.apiKey
                )
                #expect(response.status == .ok, "\(response.text)")
                let json = try response.json()
                #expect(json["provider"] as? String == "fal")
                let images = try #require(json["images"] as? [[String: Any]])
                #expect(images.count == numImages)
                for image in images {
                    #expect(image["width"] as? Int == 3136 && image["height"] as? Int == 1344)
                    // Served by ImageGate from its own copy, not by fal.
                    let url = try #require(image["url"] as? String)
                    #expect(url.hasPrefix("http://imagegate.test/v1/outputs/"))
                    let download = try await client.get(try pathAndQuery(url))
                    #expect(download.status == .ok)
                    #expect(download.headers[.contentType] == "image/png")
                }
            }
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 - 14_000 * Int64(numImages) && balance.held == 0)
            let stats = try await emulator.stats()
            #expect(stats["accepted"] == 1)
            let cost = try await instance.withDatabase { db in
                try await db.read { sql in try await sql.raw("SELECT upstream_cost_micros, upstream_request_id FROM generations").first() }
            }
            #expect(try cost?.decode(column: "upstream_cost_micros", as: Int64.self) == 35_000 * Int64(numImages))
            #expect(try cost?.decode(column: "upstream_request_id", as: String?.self) != nil)
        }
    }

    @Test(arguments: FalFailureType.allCases)
    func everyFailureIsRefundedInFull(_ failure: FalFailureType) async throws {
        try await EmulatorHarness.with({
            $0.failRate = 1
            $0.failType = failure
        }) { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                let response = try await client.generate(try body(set: ["num_images": 3]), key: instance.apiKey)
                #expect(response.status == .badGateway, "\(response.text)")
                let json = try response.json()
                #expect(json["status"] as? String == "failed")
                #expect(response.text.contains("\"refunded_usd\":0.042"))
                #expect(response.text.contains("\"cost_usd\":0"))
                let error = try #require(json["error"] as? [String: Any])
                #expect(error["code"] as? String == (failure == .contentPolicy ? "content_policy_violation" : "generation_failed"))
            }
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 && balance.held == 0)
            let (kinds, upstream) = try await instance.withDatabase { db in
                try await db.read { sql in
                    let kinds = try await sql.raw("SELECT kind FROM ledger WHERE generation_id IS NOT NULL ORDER BY seq").all()
                        .map { try $0.decode(column: "kind", as: String.self) }
                    let upstream = try await sql.raw("SELECT upstream_error_json FROM generations").first()?.decode(
                        column: "upstream_error_json",
                        as: String?.self
                    )
                    return (kinds, upstream)
                }
            }
            #expect(kinds == ["hold", "refund"])
            let upstreamText: String? = upstream ?? nil
            #expect(upstreamText?.isEmpty == false, "fal's error is kept in the record")
        }
    }

    @Test func droppedOutputsAreRefundedAndTheRestCharged() async throws {
        try await EmulatorHarness.with({
            $0.dropOutputRate = 0.5
            $0.randomSeed = 42  // with this seed the dice drop 4 of 6
        }) { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            let delivered = try await instance.run { client in
                let response = try await client.generate(try body(set: ["num_images": 6]), key: instance.apiKey)
                let json = try response.json()
                return (json["images"] as? [[String: Any]])?.count ?? 0
            }
            let dropped = try await emulator.stats()["droppedOutputs"] ?? 0
            #expect(dropped > 0 && dropped < 6, "the seeded dice drop some, not all (dropped \(dropped))")
            #expect(delivered == 6 - dropped)
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 - 14_000 * Int64(delivered) && balance.held == 0)
        }
    }

    @Test func a503OnSubmitIsRetriedWithoutADoubleCharge() async throws {
        try await EmulatorHarness.with({ $0.rejectFirstSubmits = 2 }) { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                let response = try await client.generate(quickstartBody, key: instance.apiKey)
                #expect(response.status == .ok, "\(response.text)")
            }
            let stats = try await emulator.stats()
            #expect(stats["submitsRejected"] == 2)
            #expect(stats["accepted"] == 1, "one upstream request")
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 - 14_000 && balance.held == 0, "one charge")
        }
    }

    @Test func editSendsTheReferencesToFal() async throws {
        try await EmulatorHarness.with { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                let first = try await client.generate(quickstartBody, key: instance.apiKey).json()
                let firstURL = try #require(first["output_url"] as? String)
                let png = try await client.get(try pathAndQuery(firstURL)).body
                let dataURI = "data:image/png;base64,\(Data(png.readableBytesView).base64EncodedString())"
                let response = try await client.generate(
                    try body(set: ["mode": "edit", "image_urls": [dataURI], "aspect_ratio": "auto"]),
                    key: instance.apiKey
                )
                #expect(response.status == .ok, "\(response.text)")
                #expect(try response.json()["mode"] as? String == "edit")
            }
            #expect(try await emulator.stats()["accepted"] == 2)
        }
    }

    @Test func failedPollsAndDownloadsAreRetriedNotRefunded() async throws {
        try await EmulatorHarness.with({
            $0.runLatencyMillis = 300
            $0.faults.statusError = FalFault(first: 2)
            $0.faults.downloadError = FalFault(first: 1)
        }) { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                let response = try await client.generate(try body(set: ["num_images": 2]), key: instance.apiKey)
                #expect(response.status == .ok, "\(response.text)")
                #expect((try response.json()["images"] as? [[String: Any]])?.count == 2)
            }
            let stats = try await emulator.stats()
            #expect(stats["statusErrorsInjected"] == 2 && stats["downloadErrorsInjected"] == 1, "\(stats)")
            #expect(stats["accepted"] == 1)
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 - 28_000 && balance.held == 0, "both images fal made are delivered and charged")
        }
    }

    @Test func aSubmitAcceptedButAnsweredWith504IsNeverSentAgain() async throws {
        try await EmulatorHarness.with({ $0.faults.lostSubmit = FalFault(first: 1) }) { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                let response = try await client.generate(try body(set: ["num_images": 2]), key: instance.apiKey)
                #expect(response.status == .badGateway, "\(response.text)")
                #expect(response.text.contains("\"refunded_usd\":0.028"))
            }
            let stats = try await emulator.stats()
            #expect(stats["submitsReceived"] == 1 && stats["accepted"] == 1 && stats["submitsLost"] == 1, "one submit, never resent: \(stats)")
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 && balance.held == 0, "the user pays nothing")
            let cost = try await instance.withDatabase { db in
                try await db.read { sql in try await sql.raw("SELECT upstream_cost_micros FROM generations").first() }
            }
            #expect(try cost?.decode(column: "upstream_cost_micros", as: Int64.self) == 70_000, "what fal may bill is recorded as a loss")
        }
    }

    @Test func editSendsFalTheCheckedCopyNotTheUsersURL() async throws {
        try await EmulatorHarness.with { emulator in
            let instance = try await Self.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run { client in
                #expect(try await client.generate(quickstartBody, key: instance.apiKey).status == .ok)
                // The first run's image, at fal's (the emulator's) file URL: an http URL the user could point anywhere.
                let requestID = try await instance.withDatabase { db in
                    try await db.read { sql in try await sql.raw("SELECT upstream_request_id FROM generations").first() }
                }?.decode(column: "upstream_request_id", as: String.self)
                let url = "\(emulator.queueURL)/files/\(try #require(requestID))/0.png"
                let response = try await client.generate(try body(set: ["mode": "edit", "image_urls": [url]]), key: instance.apiKey)
                #expect(response.status == .ok, "\(response.text)")
            }
            let stats = try await emulator.stats()
            #expect(stats["referenceDataURIs"] == 1 && stats["referenceRemoteURLs"] == 0, "\(stats)")
        }
    }
}
