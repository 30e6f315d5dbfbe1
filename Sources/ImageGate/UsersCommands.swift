import ArgumentParser
import Customers
import Essentials
import ImageGateApp
import Logging
import Payments

extension Customers {
    /// The use cases for an operator command: no mail (commands send none) and the default settings (only invites'
    /// lifetime matters here).
    static func forOperator(_ environment: Environment) -> Customers {
        Customers(
            database: environment.database,
            settings: CustomerSettings(signup: .closed, publicURL: ""),
            mailer: nil,
            logger: Logger(label: "imagegate.operator")
        )
    }
}

/// `imagegate users`: the people who signed up, newest first (operator).
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "List the people who signed up, with their accounts.")
    @OptionGroup var data: DataOptions

    func run() async throws {
        let (users, flags) = try await withEnvironment(self.data, readOnly: true) { env in
            (try await Customers.forOperator(env).users(), try await PaymentOrder.flags(on: env.database))
        }
        printTable(
            ["EMAIL", "ACCOUNT", "VERIFIED", "CREATED", "DISABLED", "PAYMENT FLAG"],
            users.map {
                [
                    $0.email, $0.accountName, $0.verifiedAt.map(Timestamp.iso8601) ?? "no", Timestamp.iso8601($0.createdAt),
                    $0.accountDisabled ? "yes" : "", flags[$0.accountID] ?? "",
                ]
            }
        )
    }
}

/// `imagegate invites create|list`: the codes `--signup invite` asks for (operator).
struct InvitesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "invites",
        abstract: "Create and list invite codes for --signup invite.",
        subcommands: [Create.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a single-use invite code (valid 14 days); it is printed once.")
        @Option(help: "Who it is for (shown in the list).") var note = ""
        @OptionGroup var data: DataOptions

        func run() async throws {
            let (code, invite) = try await withEnvironment(self.data) { try await Customers.forOperator($0).createInvite(note: self.note) }
            print("invite \(invite.prefix)… created, valid until \(Timestamp.iso8601(invite.expiresAt))")
            print("IMAGEGATE_INVITE=\(code)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List invite codes, newest first, with who used each.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let invites = try await withEnvironment(self.data, readOnly: true) { try await Customers.forOperator($0).invites() }
            printTable(
                ["INVITE", "NOTE", "CREATED", "EXPIRES", "USED BY"],
                invites.map { ["\($0.prefix)…", $0.note, Timestamp.iso8601($0.createdAt), Timestamp.iso8601($0.expiresAt), $0.usedBy ?? "-"] }
            )
        }
    }
}
