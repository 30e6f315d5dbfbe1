import ArgumentParser
import Billing
import Foundation
import ImageGateApp
import Storage

/// Runs an operator command against the data directory, closing the database afterwards. `readOnly`: the command
/// only reads, so it needs an existing database at this build's schema and creates or migrates nothing.
func withEnvironment<T>(_ data: DataOptions, readOnly: Bool = false, _ body: (Environment) async throws -> T) async throws -> T {
    let environment = try await data.open(existing: readOnly)
    do {
        let result = try await body(environment)
        try await environment.database.close()
        return result
    } catch {
        try? await environment.database.close()
        throw error
    }
}

/// Parses a `--usd` value exactly (no floating point), refusing zero and negatives where `positive`.
func parseUSD(_ text: String, option: String) throws -> MicroUSD {
    guard let amount = MicroUSD(usd: text), amount.micros > 0 else {
        throw ValidationError("\(option): expected a positive dollar amount with at most 6 decimals, e.g. 10 or 0.5")
    }
    return amount
}

/// Prints rows as an aligned text table.
func printTable(_ header: [String], _ rows: [[String]]) {
    let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
    for row in [header] + rows {
        print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
    }
}

/// `imagegate accounts create|list|disable|enable`.
struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Create, list, disable and enable accounts.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self]
    )

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: its keys answer 403, its money is kept.")
        @Argument(help: "Account name.") var name: String
        @OptionGroup var data: DataOptions

        func run() async throws { try await AccountsCommand.setDisabled(true, name: self.name, data: self.data) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")
        @Argument(help: "Account name.") var name: String
        @OptionGroup var data: DataOptions

        func run() async throws { try await AccountsCommand.setDisabled(false, name: self.name, data: self.data) }
    }

    static func setDisabled(_ disabled: Bool, name: String, data: DataOptions) async throws {
        let account = try await withEnvironment(data) { env in try await AccountStore(database: env.database).setDisabled(disabled, name: name) }
        guard let account else { throw ValidationError("no account named '\(name)'") }
        print("\(disabled ? "disabled" : "enabled") account \(account.name) (\(account.id)); balance \(account.balance.formatted) kept")
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account, optionally with opening credit.")
        @Argument(help: "Account name (unique).") var name: String
        @Option(name: .customLong("credit-usd"), help: "Opening credit in USD, e.g. 10 or 2.5.") var creditUSD: String?
        @OptionGroup var data: DataOptions

        func run() async throws {
            guard AccountStore.isValidName(self.name) else { throw ValidationError("NAME: 1 to 64 letters, digits, '.', '_' or '-'") }
            let credit = try self.creditUSD.map { try parseUSD($0, option: "--credit-usd") } ?? .zero
            let account = try await withEnvironment(self.data) { env in
                try await AccountStore(database: env.database).create(name: self.name, credit: credit)
            }
            print("created account \(account.name) (\(account.id)) with balance \(account.balance.formatted)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts and balances.")
        @Flag(help: "Print JSON instead of a table.") var json = false
        @OptionGroup var data: DataOptions

        func run() async throws {
            let accounts = try await withEnvironment(self.data, readOnly: true) { env in try await AccountStore(database: env.database).list() }
            if self.json { return try printJSON(accounts) }
            printTable(
                ["NAME", "ID", "BALANCE", "HELD", "STATE"],
                accounts.map { [$0.name, $0.id, $0.balance.formatted, $0.held.formatted, $0.disabled ? "disabled" : "active"] }
            )
        }
    }
}

/// `imagegate keys create|revoke|list|limits`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Issue, revoke and list API keys.",
        subcommands: [Create.self, Revoke.self, List.self, Limits.self]
    )

    /// A key's own per-minute limit as the commands show it.
    static func rateText(_ perMinute: Int?) -> String {
        perMinute.map { $0 == 0 ? "none" : "\($0)/min" } ?? "server default"
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key; prints only the key, once.")
        @Option(help: "Account name.") var account: String
        @Option(help: "A label to recognise the key by.") var label = ""
        @Option(name: .customLong("daily-limit-usd"), help: "Most this key may spend per UTC day, in USD.") var dailyLimitUSD: String?
        @Option(name: .customLong("max-concurrency"), help: "Most generations this key may run at once.") var maxConcurrency: Int?
        @Option(
            name: .customLong("requests-per-minute"),
            help: "Most generation requests per minute (0: none, even if the server has a default)."
        ) var requestsPerMinute: Int?
        @Option(name: .customLong("images-per-minute"), help: "Most images per minute (0: none, even if the server has a default).")
        var imagesPerMinute: Int?
        @OptionGroup var data: DataOptions

        func run() async throws {
            let limit = try self.dailyLimitUSD.map { try parseUSD($0, option: "--daily-limit-usd") }
            if let max = self.maxConcurrency, !KeyLimits.settableConcurrency.contains(max) {
                throw ValidationError("--max-concurrency must be from 1 to \(KeyLimits.settableConcurrency.upperBound)")
            }
            for (name, value) in [("--requests-per-minute", self.requestsPerMinute), ("--images-per-minute", self.imagesPerMinute)] {
                if let value, !RateLimit.settableRange.contains(value) {
                    throw ValidationError("\(name) must be from 0 (no limit) to \(RateLimit.settableRange.upperBound)")
                }
            }
            let secret = try await withEnvironment(self.data) { env in
                guard let owner = try await AccountStore(database: env.database).find(name: self.account) else {
                    throw ValidationError("no account named '\(self.account)'")
                }
                return try await APIKeyStore(database: env.database)
                    .create(
                        accountID: owner.id,
                        label: self.label,
                        dailyLimit: limit,
                        maxConcurrency: self.maxConcurrency,
                        requestsPerMinute: self.requestsPerMinute,
                        imagesPerMinute: self.imagesPerMinute
                    ).secret
            }
            print(secret)
        }
    }

    struct Limits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the rate limits of the key whose prefix starts with KEY_PREFIX (a number per minute, 0 for none, or 'default')."
        )
        @Argument(help: "The start of the key, as shown by 'keys list' (e.g. ig_AbC12345).") var keyPrefix: String
        @Option(name: .customLong("requests-per-minute"), help: "Generation requests per minute, 0 (none) or 'default'.") var requestsPerMinute:
            String?
        @Option(name: .customLong("images-per-minute"), help: "Images per minute, 0 (none) or 'default'.") var imagesPerMinute: String?
        @OptionGroup var data: DataOptions

        /// nil: not given; `.some(nil)`: the server's default.
        static func rate(_ text: String?, option: String) throws -> Int?? {
            guard let text else { return nil }
            if text == "default" { return .some(nil) }
            guard let value = Int(text), RateLimit.settableRange.contains(value) else {
                throw ValidationError("\(option) must be 0 (no limit) to \(RateLimit.settableRange.upperBound), or 'default'")
            }
            return .some(value)
        }

        func run() async throws {
            guard self.keyPrefix.count >= 6 else { throw ValidationError("KEY_PREFIX must be at least 6 characters") }
            let requests = try Self.rate(self.requestsPerMinute, option: "--requests-per-minute")
            let images = try Self.rate(self.imagesPerMinute, option: "--images-per-minute")
            let outcome = try await withEnvironment(self.data) { env in
                try await APIKeyStore(database: env.database).setRateLimits(
                    prefix: self.keyPrefix,
                    requestsPerMinute: requests,
                    imagesPerMinute: images
                )
            }
            switch outcome {
            case .updated(let key):
                print("\(key.prefix)…: requests \(KeysCommand.rateText(key.requestsPerMinute)), images \(KeysCommand.rateText(key.imagesPerMinute))")
            case .notFound:
                throw ValidationError("no live key starts with '\(self.keyPrefix)'")
            case .ambiguous(let keys):
                throw ValidationError("\(keys.count) live keys start with '\(self.keyPrefix)'; give more of the key")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke the key(s) whose prefix starts with KEY_PREFIX (at least 6 characters).")
        @Argument(help: "The start of the key, as shown by 'keys list' (e.g. ig_AbC12345).") var keyPrefix: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            guard self.keyPrefix.count >= 6 else { throw ValidationError("KEY_PREFIX must be at least 6 characters") }
            let revoked = try await withEnvironment(self.data) { env in try await APIKeyStore(database: env.database).revoke(prefix: self.keyPrefix) }
            guard !revoked.isEmpty else { throw ValidationError("no live key starts with '\(self.keyPrefix)'") }
            for key in revoked { print("revoked \(key.prefix)… (\(key.id))") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys: prefix, account, label, created, last used, state, rate limits.")
        @Option(help: "Only this account's keys.") var account: String?
        @Flag(help: "Print JSON instead of a table.") var json = false
        @OptionGroup var data: DataOptions

        func run() async throws {
            let (keys, names) = try await withEnvironment(self.data, readOnly: true) { env in
                let accounts = try await AccountStore(database: env.database).list()
                let names = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0.name) })
                let filter = try self.account.map { name in
                    guard let id = accounts.first(where: { $0.name == name })?.id else { throw ValidationError("no account named '\(name)'") }
                    return id
                }
                return (try await APIKeyStore(database: env.database).list(accountID: filter), names)
            }
            if self.json { return try printJSON(keys) }
            let time = { (millis: Int64?) in millis.map { Date(timeIntervalSince1970: Double($0) / 1000).formatted(.iso8601) } ?? "-" }
            printTable(
                ["PREFIX", "ACCOUNT", "LABEL", "CREATED", "LAST USED", "STATE", "REQ/MIN", "IMG/MIN"],
                keys.map {
                    [
                        $0.prefix + "…", names[$0.accountID] ?? $0.accountID, $0.label, time($0.createdAt), time($0.lastUsedAt),
                        $0.revokedAt == nil ? "live" : "revoked", KeysCommand.rateText($0.requestsPerMinute),
                        KeysCommand.rateText($0.imagesPerMinute),
                    ]
                }
            )
        }
    }
}

/// `imagegate credits add`.
struct CreditsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "credits", abstract: "Add credit to accounts.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add credit to an account (one ledger row).")
        @Option(help: "Account name.") var account: String
        @Option(help: "Amount in USD, e.g. 25 or 0.5.") var usd: String
        @Option(help: "A note kept on the ledger row.") var note = "credit added by operator"
        @Option(name: .customLong("idempotency-key"), help: "Credit at most once for this key (24 hours), e.g. an invoice number.")
        var idempotencyKey: String?
        @OptionGroup var data: DataOptions

        func run() async throws {
            let amount = try parseUSD(self.usd, option: "--usd")
            let (account, outcome) = try await withEnvironment(self.data) { env in
                let accounts = AccountStore(database: env.database)
                guard let found = try await accounts.find(name: self.account) else { throw BillingError.accountNotFound(self.account) }
                let outcome = try await Credits(database: env.database).add(
                    amount,
                    accountID: found.id,
                    note: self.note,
                    idempotencyKey: self.idempotencyKey
                )
                return (try await accounts.get(id: found.id) ?? found, outcome)
            }
            let verb = outcome == .replayed ? "already added (same --idempotency-key)" : "added"
            print("\(verb) \(amount.formatted) to \(account.name); balance \(account.balance.formatted)")
        }
    }
}
