import ArgumentParser
import ArkEmulator

/// `imagegate replicate-emulator`: Replicate's predictions API, offline, for development and tests.
struct ReplicateEmulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replicate-emulator",
        abstract: "Run a local server that speaks Replicate's predictions API for bytedance/seedream-* models.",
        discussion: """
            Asynchronous like Replicate: POST /v1/models/OWNER/NAME/predictions creates a prediction (Prefer: wait
            holds the answer), GET /v1/predictions/ID reads it, POST /v1/predictions/ID/cancel cancels it; outputs
            are URLs on this server. Inputs are checked against each Seedream model's schema (422 names the field);
            HTTP errors carry Replicate's problem details, a failed prediction its error. Takes the knobs of
            ark-emulator: --latency is each prediction's run time; --fail-type content_policy and internal_error
            end predictions failed, the others are HTTP errors; --image-failure-rate drops images from the output;
            --lost-answer-rate answers 500 to a create whose prediction runs anyway. Point a replicate route at it
            with base_url http://HOST:PORT. GET /_emulator/stats counts predictions accepted and images billed.
            """
    )

    @OptionGroup var options: ArkEmulatorCommand

    func run() async throws {
        try await ArkEmulatorCommand.serve(try self.options.configuration(), name: "replicate-emulator", ArkEmulator.replicateApplication)
    }
}
