import Mail

extension AppConfiguration {
    /// The SMTP settings, when `--smtp-url` is given (empty counts as unset); it needs `--mail-from`, and a sender
    /// without a server is refused too, as Stripe's pair is: half a mail setup would look on and send nothing.
    /// `imagegate mail-test` reads them through here as well. Errors never repeat the URL, which may hold a password.
    package static func mail(_ settings: SettingsReader) throws -> SMTPSettings? {
        let url = try settings.text("smtp-url").flatMap { $0.isEmpty ? nil : $0 }
        let from = try settings.text("mail-from").flatMap { $0.isEmpty ? nil : $0 }
        guard let url, let from else {
            if url != nil || from != nil { throw ConfigurationError(description: "--smtp-url and --mail-from go together: set both or neither") }
            return nil
        }
        do {
            return try SMTPSettings(url: url, from: from, trustRootsFile: try settings.text("smtp-ca-file").flatMap { $0.isEmpty ? nil : $0 })
        } catch let error as MailError {
            let setting = error == .invalidAddress ? "--mail-from" : "--smtp-url"
            throw ConfigurationError(description: "\(setting): \(error.detail)")
        }
    }
}
