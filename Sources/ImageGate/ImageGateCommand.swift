import ArgumentParser
import ImageGateApp
import NIOCore
import NIOPosix
import Synchronization

/// `imagegate`: the server, the operator's tools and (later) the client, in one binary.
@main
struct ImageGateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "imagegate",
        abstract: "A self-hostable, pay-as-you-go image-generation API.",
        version: ImageGateVersion.current,
        subcommands: [
            ServeCommand.self, ConfigCommand.self, FalEmulatorCommand.self, ArkEmulatorCommand.self, OpenAIEmulatorCommand.self,
            ReplicateEmulatorCommand.self, StripeEmulatorCommand.self, GenerateCommand.self,
            GenerationsCommand.self,
            AccountCommand.self,
            AccountsCommand.self, KeysCommand.self, CreditsCommand.self, PaymentsCommand.self, UsageCommand.self, AuditCommand.self,
            UsersCommand.self, InvitesCommand.self,
            RenderCommand.self,
            BlobsCommand.self, BackupCommand.self, RestoreCommand.self, SignRequestCommand.self, MailTestCommand.self,
        ]
    )

    /// Whether `serve` runs Swift's tasks on NIO's event loops (its start-up log says so).
    static let tasksOnEventLoops = Atomic(false)

    /// ArgumentParser's own entry, and before it, for `serve`: Swift's tasks run on NIO's event loops instead of a
    /// pool of their own, so a task that awaits a socket, a database call or a file write resumes on the loop that
    /// completed it, without a hop between threads (the main cost per image in the CPU profile, docs/benchmarks.md).
    /// Blocking work stays on the blocking pools. NIO takes this only on the main thread, before any task has run:
    /// here, where the process starts.
    @MainActor static func main() async {
        if CommandLine.arguments.dropFirst().first == ServeCommand.configuration.commandName {
            let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            Self.tasksOnEventLoops.store(installed, ordering: .relaxed)
        }
        do {
            var command = try Self.parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            Self.exit(withError: error)
        }
    }
}
