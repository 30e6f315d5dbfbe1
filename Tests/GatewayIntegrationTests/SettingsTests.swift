import Customers
import Foundation
import ImageGateApp
import Mail
import Testing

/// Settings come from one declaration each, read by swift-configuration: the command line, then `IMAGEGATE_*`, then
/// the `--config` JSON file, then the default; each value is checked wherever it came from, and secrets never show.
@Suite struct SettingsTests {
    /// A JSON settings file that lives as long as the test.
    static func file(_ object: [String: Any]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("imagegate-settings-\(UUID().uuidString).json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func load(_ arguments: [String] = [], file: String? = nil, environment: [String: String] = [:]) async throws -> SettingsReader {
        try await SettingsReader.load(ConfigSettings.serve, arguments: arguments, configFile: file, environment: environment)
    }

    @Test func withNothingGivenEverySettingIsItsDeclaredDefault() async throws {
        let config = try AppConfiguration(try await Self.load())
        #expect(config.host == "127.0.0.1" && config.port == 8080)
        #expect(config.data.directory == "./data" && config.data.databasePath == nil && config.data.blobStore == nil)
        #expect(config.outputRetentionSeconds == 7 * 86_400 && config.leaseSeconds == 30 && config.syncTimeoutSeconds == 120)
        #expect(config.redirectSeconds == 300 && config.outputCacheBytes == 64 << 20 && config.databasePoolSize == 20)
        #expect(config.provider == "auto" && config.adminTokens.isEmpty && !config.allowPrivateImageURLs)
        #expect(config.outputDelivery == .proxy && config.metricsPort == nil && config.workers == nil)
    }

    @Test func anAdminTokenUnder32CharactersIsRefusedWithoutRepeatingIt() async throws {
        for settings in [["--admin-token", "short-secret"], ["--admin-token", String(repeating: "a", count: 32), "--admin-tokens", "ok-but-short"]] {
            let refused = await #expect(throws: ConfigurationError.self) { try AppConfiguration(try await Self.load(settings)) }
            #expect(refused?.description.contains("at least 32") == true, "\(refused?.description ?? "")")
            #expect(refused?.description.contains("short") == false, "the token itself is never repeated")
        }
        let config = try AppConfiguration(
            try await Self.load(["--admin-tokens", "\(String(repeating: "a", count: 32)),\(String(repeating: "b", count: 33))"])
        )
        #expect(config.adminTokens.count == 2)
    }

    @Test func theCommandLineWinsOverTheEnvironmentWhichWinsOverTheFile() async throws {
        let file = try Self.file(["port": 7000, "lease": "45s", "host": "0.0.0.0"])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let environment = ["IMAGEGATE_PORT": "7100", "IMAGEGATE_LEASE": "50s"]

        let all = try AppConfiguration(try await Self.load(["--port", "7200"], file: file, environment: environment))
        #expect(all.port == 7200 && all.leaseSeconds == 50 && all.host == "0.0.0.0")
        let noFlag = try AppConfiguration(try await Self.load(file: file, environment: environment))
        #expect(noFlag.port == 7100)
        let fileOnly = try AppConfiguration(try await Self.load(file: file))
        #expect(fileOnly.port == 7000 && fileOnly.leaseSeconds == 45)
        // The file can also be named by IMAGEGATE_CONFIG.
        let byVariable = try AppConfiguration(try await Self.load(environment: ["IMAGEGATE_CONFIG": file]))
        #expect(byVariable.port == 7000)
    }

    /// Every declared setting can be written in the file, and is then read from it.
    @Test func everySettingCanComeFromTheFile() async throws {
        var object: [String: Any] = [:]
        for setting in ConfigSettings.serve {
            switch setting.kind {
            case .text: object[setting.name] = setting.name == "accel-prefix" ? "/_blobs/" : "value-of-\(setting.name)"
            case .choice(let words): object[setting.name] = words.last
            case .integer(let range): object[setting.name] = range.lowerBound + 1
            case .flag: object[setting.name] = true
            case .duration(let range): object[setting.name] = "\(range.lowerBound + 1)s"
            }
        }
        object["blob-store"] = "file"
        // Admin tokens are 32 characters at least.
        for name in ["admin-token", "admin-tokens"] { object[name] = "value-of-\(name)-0123456789abcdefghij" }
        object["trusted-proxies"] = "10.0.0.0/8, ::1"
        for name in ["topup-min-usd", "topup-max-usd"] { object[name] = "7.50" }
        // The SMTP URL and the sender are parsed: a URL and an address.
        object["smtp-url"] = "smtp://user:value-of-password@mail.example.com:587"
        object["mail-from"] = "ImageGate <noreply@example.com>"
        object["signup-credit-usd"] = "1.25"
        let file = try Self.file(object)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let settings = try await Self.load(file: file)
        for line in try settings.effective() {
            #expect(line.source == "file \(file)", "\(line.name) came from \(line.source)")
        }
        let config = try AppConfiguration(settings)
        #expect(config.port == 1 && config.workers == 2 && config.leaseSeconds == 4 && config.allowPrivateWebhookURLs)
        #expect(config.falKey == "value-of-fal-key" && config.outputDelivery == .accel && config.data.directory == "value-of-data-dir")
        #expect(config.adminTokens.count == 2 && config.noDefaultAccount && config.maxQueued == 1)
        #expect(config.topUps?.webhookSecret == "value-of-stripe-webhook-secret" && config.topUps?.minimum.micros == 7_500_000)
        #expect(config.mail?.port == 587 && config.mail?.credentials?.password == "value-of-password")
        #expect(config.mail?.from.address == "noreply@example.com" && config.mail?.trustRootsFile == "value-of-smtp-ca-file")
    }

    /// Sign-up mails its verification link: `open` and `invite` without mail settings are refused at start.
    @Test func signupNeedsMail() async throws {
        for mode in ["open", "invite"] {
            let refused = await #expect(throws: ConfigurationError.self) { try AppConfiguration(try await Self.load(["--signup", mode])) }
            #expect(refused?.description.contains("--signup \(mode) needs mail") == true, "\(refused?.description ?? "")")
        }
        let open = try AppConfiguration(
            try await Self.load([
                "--signup", "open", "--smtp-url", "smtp://mail.example.com", "--mail-from", "a@example.com", "--signup-credit-usd", "0.50",
            ])
        )
        #expect(open.customers.signup == .open && open.customers.startingCredit.micros == 500_000)
        await #expect(throws: ConfigurationError.self) { try AppConfiguration(try await Self.load(["--signup-credit-usd", "lots"])) }
        #expect(try AppConfiguration(try await Self.load([])).customers.signup == .closed)
    }

    /// The SMTP URL and the sender go together; a bad one is named, and the URL's password never repeated.
    @Test func mailSettingsAreCheckedTogether() async throws {
        for (settings, words) in [
            (["--smtp-url", "smtp://me:hunter2@mail.example.com"], "go together"),
            (["--mail-from", "noreply@example.com"], "go together"),
            (["--smtp-url", "imap://me:hunter2@mail.example.com", "--mail-from", "noreply@example.com"], "--smtp-url"),
            (["--smtp-url", "smtp://me:hunter2@mail.example.com", "--mail-from", "noreply"], "--mail-from"),
        ] {
            let refused = await #expect(throws: ConfigurationError.self) { try AppConfiguration(try await Self.load(settings)) }
            #expect(refused?.description.contains(words) == true, "\(refused?.description ?? "")")
            #expect(refused?.description.contains("hunter2") == false, "a secret is never repeated")
        }
        #expect(try AppConfiguration(try await Self.load([])).mail == nil)
        #expect(try AppConfiguration(try await Self.load(["--smtp-url", "", "--mail-from", ""])).mail == nil)
        let on = try AppConfiguration(try await Self.load(["--smtp-url", "smtps://mail.example.com", "--mail-from", "a@example.com"]))
        #expect(on.mail?.security == .implicitTLS && on.mail?.port == 465)
        let listed = try await Self.load(["--smtp-url", "smtp://me:hunter2@mail.example.com", "--mail-from", "a@example.com"]).effective()
        #expect(listed.first { $0.name == "smtp-url" }?.value == "(secret)")
    }

    /// Stripe's two secrets go together; the top-up bounds are whole cents, the smallest not above the largest.
    @Test func paymentSettingsAreCheckedTogether() async throws {
        for (settings, words) in [
            (["--stripe-secret-key", "sk_test_x"], "go together"),
            (["--stripe-secret-key", "sk_test_x", "--stripe-webhook-secret", "whsec_x", "--topup-min-usd", "0.001"], "whole cents"),
            (["--stripe-secret-key", "sk_test_x", "--stripe-webhook-secret", "whsec_x", "--topup-min-usd", "600"], "above"),
        ] {
            let refused = await #expect(throws: ConfigurationError.self) { try AppConfiguration(try await Self.load(settings)) }
            #expect(refused?.description.contains(words) == true, "\(refused?.description ?? "")")
            #expect(refused?.description.contains("sk_test_x") == false, "a secret is never repeated")
        }
        let off = try AppConfiguration(try await Self.load([]))
        #expect(off.topUps == nil)
    }

    @Test func flagsAndOtherToolsVariables() async throws {
        let flags = try AppConfiguration(try await Self.load(["--allow-private-image-urls", "--allow-private-webhook-urls=false"]))
        #expect(flags.allowPrivateImageURLs && !flags.allowPrivateWebhookURLs)
        let environment = try AppConfiguration(try await Self.load(environment: ["IMAGEGATE_ALLOW_PRIVATE_IMAGE_URLS": "1", "FAL_KEY": "alias"]))
        #expect(environment.allowPrivateImageURLs && environment.falKey == "alias")
        let both = try AppConfiguration(try await Self.load(environment: ["IMAGEGATE_FAL_KEY": "own", "FAL_KEY": "alias"]))
        #expect(both.falKey == "own")
        // An empty variable is unset, as before.
        #expect(try AppConfiguration(try await Self.load(environment: ["IMAGEGATE_PORT": ""])).port == 8080)
    }

    @Test(
        arguments: [
            (["--port", "abc"], [:], "--port"),
            (["--port", "70000"], [:], "--port"),
            (["--lease", "2s"], [:], "--lease"),
            (["--provider", "midjourney"], [:], "--provider"),
            ([], ["IMAGEGATE_PORT": "abc"], "IMAGEGATE_PORT"),
            ([], ["IMAGEGATE_OUTPUT_RETENTION": "forever"], "IMAGEGATE_OUTPUT_RETENTION"),
        ] as [([String], [String: String], String)]
    )
    func anInvalidValueIsRefusedNamingWhereItCameFrom(arguments: [String], environment: [String: String], named: String) async throws {
        let error = await #expect(throws: SettingsError.self) { try AppConfiguration(try await Self.load(arguments, environment: environment)) }
        #expect(error?.code == .invalidValue)
        #expect(error?.description.hasPrefix(named) == true, "\(error?.description ?? "")")
    }

    @Test func aWrongTypeOrAnUnknownNameInTheFileIsRefused() async throws {
        let wrongType = try Self.file(["lease": 30])
        let unknown = try Self.file(["prot": 9000])
        defer { for path in [wrongType, unknown] { try? FileManager.default.removeItem(atPath: path) } }
        let error = await #expect(throws: SettingsError.self) { try AppConfiguration(try await Self.load(file: wrongType)) }
        #expect(error?.description.contains("\"lease\"") == true && error?.code == .invalidValue)
        let typo = await #expect(throws: SettingsError.self) { try await Self.load(file: unknown) }
        #expect(typo?.code == .unknownSetting && typo?.description.contains("prot") == true)
        let missing = await #expect(throws: SettingsError.self) { try await Self.load(file: "/nonexistent/imagegate.json") }
        #expect(missing?.code == .unreadableFile)
    }

    @Test func anUnknownOptionOrAMissingValueIsRefused() async throws {
        let unknown = await #expect(throws: SettingsError.self) { try await Self.load(["--prot", "9000"]) }
        #expect(unknown?.code == .unknownSetting)
        let missing = await #expect(throws: SettingsError.self) { try await Self.load(["--port"]) }
        #expect(missing?.code == .missingValue)
    }

    @Test func secretsAreNeverShown() async throws {
        let settings = try await Self.load(
            ["--admin-token", "admin-secret-1234"],
            environment: ["IMAGEGATE_DATABASE": "postgres://u:pw-secret@db/imagegate", "FAL_KEY": "fal-secret"]
        )
        let effective = try settings.effective()
        let shown = effective.map { "\($0.name) \($0.value) \($0.source)" }.joined(separator: "\n")
        for secret in ["admin-secret-1234", "pw-secret", "fal-secret"] { #expect(!shown.contains(secret)) }
        #expect(effective.first { $0.name == "admin-token" } == .init(name: "admin-token", value: "(secret)", source: "command line"))
        #expect(effective.first { $0.name == "fal-key" }?.source == "environment")
        #expect(effective.first { $0.name == "s3-secret-access-key" }?.value == "(unset)")
        #expect(effective.first { $0.name == "port" } == .init(name: "port", value: "8080", source: "default"))
    }
}
