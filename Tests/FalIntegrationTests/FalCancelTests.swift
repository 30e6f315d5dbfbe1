import Accounts
import FalEmulator
import Foundation
import Generation
import HTTPTypes
import HummingbirdTesting
import ImageGateTestSupport
import SQLKit
import Storage
import Testing

/// `POST /v1/generations/{id}/cancel` on generations running on fal (the emulator, over loopback): ImageGate cancels
/// upstream, settles what came back, and records what fal will still bill.
@Suite struct FalCancelTests {
    static let async: HTTPFields = [HTTPField.Name("Prefer")!: "respond-async"]

    /// Submits asynchronously and waits until fal holds the request and ImageGate has read one status answer.
    static func submitted(_ client: any TestClientProtocol, _ instance: TestInstance, _ emulator: EmulatorHarness, numImages: Int) async throws
        -> String
    {
        let created = try await client.generate(try body(set: ["num_images": numImages]), key: instance.apiKey, headers: Self.async)
        let id = try #require(try created.json()["generation_id"] as? String)
        // One connection for the whole wait (opening the database per look took longer than fal's run on a loaded
        // machine, and the cancel then came after the end).
        try await instance.withDatabase { db in
            while try await db.read({ sql in
                try await sql.raw("SELECT upstream_request_id FROM generations WHERE id = \(bind: id)").first()?
                    .decode(column: "upstream_request_id", as: String?.self)
            }) == nil {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        // ImageGate polls one status at a time, so a second poll means it has read the first answer: it knows fal's
        // phase, which decides what the cancel costs (waiting on the polls, not on time, for a loaded machine).
        while try await emulator.stats()["statusPolls", default: 0] < 2 { try await Task.sleep(for: .milliseconds(20)) }
        return id
    }

    static func cancel(_ client: any TestClientProtocol, _ instance: TestInstance, _ id: String) async throws -> TestResponse {
        try await client.execute(uri: "/v1/generations/\(id)/cancel", method: .post, headers: [.authorization: "Bearer \(instance.apiKey)"])
    }

    /// fal's phase when the cancel arrives: still queued (fal removes it: it costs nothing) or running (fal stops
    /// it, and may bill it: the operator's loss).
    @Test(arguments: [true, false])
    func aRequestFalHoldsIsCancelledAndTheUserPaysNothing(stillQueued: Bool) async throws {
        try await EmulatorHarness.with({ fal in
            // Long enough that the cancel always comes first, even on a loaded machine; a cancel ends it at once.
            if stillQueued { fal.queueLatencyMillis = 10_000 } else { fal.runLatencyMillis = 10_000 }
        }) { emulator in
            let instance = try await FalProviderTests.instance(emulator)
            defer { instance.cleanUp() }
            let id = try await instance.run(.live) { client in
                let id = try await Self.submitted(client, instance, emulator, numImages: 2)
                let answer = try await Self.cancel(client, instance, id)
                #expect(answer.status == .ok, "\(answer.text)")
                let json = try answer.json()
                #expect(json["status"] as? String == "cancelled")
                #expect(json["refunded_usd"] as? Double == 0.028 && json["cost_usd"] as? Double == 0)
                // Twice: the same answer.
                let again = try await Self.cancel(client, instance, id)
                #expect(again.status == .ok)
                #expect(try again.json()["status"] as? String == "cancelled")
                return id
            }
            let stats = try await emulator.stats()
            #expect(stats["accepted"] == 1 && stats["cancelled"] == 1, "\(stats)")
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 && balance.held == 0, "the user pays nothing")
            let audit = try await instance.withDatabase { try await BooksAudit.run(on: $0) }
            #expect(audit.isClean, "\(audit.problems)")
            if stillQueued {
                #expect(audit.upstreamLosses.isEmpty, "removed from fal's queue: nothing billed")
            } else {
                #expect(audit.upstreamLosses.map(\.generationId) == [id], "fal ran it: what it may bill is recorded")
                #expect(audit.upstreamLosses.first?.upstreamCostUsd.micros == 70_000)
            }
        }
    }

    @Test func aRequestFalFinishedFirstIsDeliveredAndCharged() async throws {
        try await EmulatorHarness.with { emulator in
            let instance = try await FalProviderTests.instance(emulator)
            defer { instance.cleanUp() }
            try await instance.run(.live) { client in
                // Asynchronous, then read until it ends: a synchronous call could meet the test client's 60 s read
                // timeout when a parallel suite on PostgreSQL slows the machine down.
                let async: HTTPFields = [HTTPField.Name("Prefer")!: "respond-async"]
                let queued = try await client.generate(try body(set: ["num_images": 1]), key: instance.apiKey, headers: async)
                #expect(queued.status == .accepted)
                let id = try #require(try queued.json()["generation_id"] as? String)
                var status: String?
                for _ in 0..<600 where status != "completed" {
                    status = try await client.get("/v1/generations/\(id)", key: instance.apiKey).json()["status"] as? String
                    if status != "completed" { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(status == "completed")
                let answer = try await Self.cancel(client, instance, id)
                #expect(answer.status == .conflict)
                let json = try answer.json()
                #expect(json["code"] as? String == "already_completed" && json["status"] as? String == "completed")
                #expect(json["cost_usd"] as? Double == 0.014)
            }
            let balance = try await instance.balance()
            #expect(balance.available == 10_000_000 - 14_000 && balance.held == 0)
        }
    }
}
