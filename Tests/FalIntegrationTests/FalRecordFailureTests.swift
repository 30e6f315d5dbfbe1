import AsyncHTTPClient
import Catalog
import Logging
import Providers
import Testing

/// When the handle of an accepted submit cannot be saved, the user reads a product message; the internal error's
/// own words (a database's, a lease's) reach only the operator (issue 23, item 8).
@Suite struct FalRecordFailureTests {
    /// An internal error whose text must never reach a user.
    struct StoreFailure: Error, CustomStringConvertible {
        var description: String { "SQLITE_FULL: database or disk is full (lease held by worker-7f3a)" }
    }

    @Test func aHandleThatCannotBeSavedGivesTheUserAProductMessageAndTheOperatorTheDetail() async throws {
        try await EmulatorHarness.with({ $0.runLatencyMillis = 2000 }) { emulator in
            let provider = FalQueueTimeoutTests.provider(emulator)
            let request = try FalQueueTimeoutTests.request(id: "gen_unrecorded", prompt: "a mug")
            let thrown = await #expect(throws: ProviderError.self) {
                _ = try await provider.generate(request, context: ProviderContext(resume: nil) { _ in throw StoreFailure() })
            }
            let error = try #require(thrown)
            #expect(error.message == "The generation could not be recorded. The request was cancelled upstream.")
            #expect(!error.message.contains("SQLITE"), "the user never reads the store's words")
            #expect(error.upstreamType == "unrecorded_handle")
            #expect(error.upstreamDetail?.contains("SQLITE_FULL") == true, "the operator does: \(error.upstreamDetail ?? "-")")
            let stats = try await emulator.stats()
            #expect(stats["accepted"] == 1, "\(stats)")
        }
    }
}
