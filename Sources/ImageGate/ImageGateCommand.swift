import ArgumentParser
import ImageGateApp

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
}
