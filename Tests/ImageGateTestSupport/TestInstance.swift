import Billing
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ImageGateApp
import Logging
import NIOCore
import Storage
import StorageTestSupport
import Testing

/// A fresh data directory with one funded account, and a way to run the real application against it.
package struct TestInstance: Sendable {
    package let directory: String
    package let apiKey: String
    package let accountID: String
    package var config: AppConfiguration

    /// Creates a temporary data directory with an account holding `creditMicros` and one key. `settings` are `serve`
    /// settings as command-line text (`["workers": "4"]`), read through an in-memory provider over the test defaults;
    /// `configure` sets what is not a setting (the clock, the janitor's interval).
    package static func make(
        creditMicros: Int64 = 10_000_000,
        settings: [String: String] = [:],
        configure: (inout AppConfiguration) -> Void = { _ in }
    ) async throws -> TestInstance {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imagegate-test-\(UUID().uuidString)").path
        var defaults = ["data-dir": directory, "port": "0", "public-url": "http://imagegate.test", "sync-timeout": "60s", "workers": "2"]
        defaults["database"] = try await TestDatabase.makeLocation()
        var config = try AppConfiguration(SettingsReader.inMemory(defaults.merging(settings) { $1 }))
        // Keys in the developer's shell must never send a test's generations to a real supplier.
        config.environment = [:]
        configure(&config)
        let environment = try await Environment.open(config.data, logger: Self.logger)
        let accounts = AccountStore(database: environment.database)
        let account = try await accounts.create(name: "tester", credit: MicroUSD(micros: creditMicros))
        let key = try await APIKeyStore(database: environment.database).create(accountID: account.id, label: "test").secret
        try await environment.database.close()
        return TestInstance(directory: directory, apiKey: key, accountID: account.id, config: config)
    }

    package static var logger: Logger {
        var logger = Logger(label: "imagegate-test")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` against the application (in-process router, or a live loopback server with `.live`).
    package func run<T: Sendable>(_ setup: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let app = try await buildApplication(self.config, logger: Self.logger)
        return try await app.test(setup) { client in try await body(client) }
    }

    /// Opens the same database for direct checks (ledger, balances).
    package func withDatabase<T>(_ body: (any Database) async throws -> T) async throws -> T {
        let environment = try await Environment.open(self.config.data, logger: Self.logger)
        return try await withCleanup {
            try await body(environment.database)
        } cleanup: {
            try? await environment.database.close()
        }
    }

    package func balance() async throws -> (available: Int64, held: Int64) {
        try await self.withDatabase { database in
            try await database.read { sql in
                let (available, held) = try await Ledger.balances(account: self.accountID, on: sql)
                return (available.micros, held.micros)
            }
        }
    }

    package func cleanUp() {
        try? FileManager.default.removeItem(atPath: self.directory)
    }
}

/// The page's quickstart body, byte for byte.
package let quickstartBody = """
    {
            "model": "seedream-5-lite",
            "mode": "generate",
            "prompt": "Minimalist product photo of a ceramic coffee mug, soft light",
            "aspect_ratio": "16:9",
            "size": "2K",
            "num_images": 1,
            "seed": 0
          }
    """

extension TestClientProtocol {
    /// POSTs a JSON body to `/v1/generate` with the key.
    package func generate(_ body: String, key: String, headers extra: HTTPFields = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        headers.append(contentsOf: extra)
        return try await self.execute(uri: "/v1/generate", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// GETs a path with the key.
    package func get(_ uri: String, key: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "Bearer \(key)" }
        return try await self.execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    /// The body as a JSON object.
    package func json() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(self.body.readableBytesView))
        return try #require(object as? [String: Any], "body is not a JSON object: \(String(buffer: self.body))")
    }

    package var text: String { String(buffer: self.body) }
}

/// The path and query of an absolute output URL, to fetch it through the test client.
package func pathAndQuery(_ url: String) throws -> String {
    let components = try #require(URLComponents(string: url))
    return components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
}

/// Builds a generate body: a valid text-to-image request with `set` applied and `remove` taken out.
package func body(set: [String: Any] = [:], remove: [String] = []) throws -> String {
    var all: [String: Any] = ["model": "seedream-5-lite", "mode": "generate", "prompt": "a red bicycle"]
    for (key, value) in set { all[key] = value }
    for key in remove { all[key] = nil }
    return String(decoding: try JSONSerialization.data(withJSONObject: all, options: [.sortedKeys]), as: UTF8.self)
}
