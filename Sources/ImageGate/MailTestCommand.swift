import ArgumentParser
import Foundation
import ImageGateApp
import Logging
import Mail

/// `imagegate mail-test --to ADDRESS`: sends one mail through the SMTP settings `serve` would use (read by the same
/// code), so an operator can check the server, the credentials and TLS before users' sign-up mails depend on them.
struct MailTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail-test",
        abstract: "Send one test mail with the SMTP settings serve would use (--smtp-url, --mail-from, --smtp-ca-file).",
        discussion: ConfigSettings.help(ConfigSettings.mail)
    )

    @Option(help: "Recipient address.") var to: String
    @Option(help: "Subject of the test mail.") var subject = "ImageGate mail test"
    @Option(help: "Body of the test mail. Default: a note saying where it came from.") var text: String?
    @Flag(help: "Print the SMTP conversation (commands and replies; the password never).") var verbose = false
    @OptionGroup var settings: SettingsArguments

    func run() async throws {
        guard let smtp = try AppConfiguration.mail(try await self.settings.read(ConfigSettings.mail)) else {
            throw ValidationError("no mail settings: give --smtp-url and --mail-from (or IMAGEGATE_SMTP_URL and IMAGEGATE_MAIL_FROM)")
        }
        var logger = Logger(label: "imagegate.mail") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = self.verbose ? .debug : .warning
        print("Sending a test mail to \(self.to) from \(smtp.from.address) through \(smtp)…")
        let text =
            self.text ?? """
                This is a test mail from ImageGate (imagegate mail-test), sent \(Date()) through \(smtp).
                If you can read it, ImageGate's mail settings work.
                """
        do {
            try await SMTPMailer(settings: smtp, logger: logger).send(MailMessage(to: self.to, subject: self.subject, text: text))
        } catch let error as MailError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        print("Sent: the server accepted the mail for \(self.to).")
    }
}
