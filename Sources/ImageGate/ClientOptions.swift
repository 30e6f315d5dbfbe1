import ArgumentParser
import Foundation

/// `--server` and `--api-key`, with their environment twins, for the client commands.
struct ClientOptions: ParsableArguments {
    @Option(help: "ImageGate server (env IMAGEGATE_URL). Default: http://127.0.0.1:8080") var server: String?
    @Option(name: .customLong("api-key"), help: "API key (env IMAGEGATE_API_KEY).") var apiKey: String?

    func client() throws -> APIClient {
        let environment = ProcessInfo.processInfo.environment
        guard let key = self.apiKey ?? environment["IMAGEGATE_API_KEY"], !key.isEmpty else {
            throw ValidationError("no API key: pass --api-key or set IMAGEGATE_API_KEY")
        }
        return APIClient(server: self.server ?? environment["IMAGEGATE_URL"] ?? "http://127.0.0.1:8080", apiKey: key)
    }
}

/// Runs a client command, turning failures into one clear line and a non-zero exit.
func runClient(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let failure as APIClient.Failure {
        FileHandle.standardError.write(Data("error: \(failure.description)\n".utf8))
        throw ExitCode(1)
    }
}
