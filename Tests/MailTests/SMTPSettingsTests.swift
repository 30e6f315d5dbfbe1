import Testing

@testable import Mail

/// `--smtp-url` and `--mail-from` as the mailer reads them, and the mistakes it refuses without repeating a password.
@Suite struct SMTPSettingsTests {
    @Test func readsHostPortSecurityAndCredentials() throws {
        let plain = try SMTPSettings(url: "smtp://mail.example.com", from: "noreply@example.com")
        #expect(plain.host == "mail.example.com" && plain.port == 25 && plain.security == .startTLSWhenOffered && plain.credentials == nil)

        let implicit = try SMTPSettings(url: "smtps://mail.example.com", from: "noreply@example.com")
        #expect(implicit.port == 465 && implicit.security == .implicitTLS)

        let authenticated = try SMTPSettings(url: "smtp://me%40example.com:p%3Ass@127.0.0.1:2525", from: "ImageGate <noreply@example.com>")
        #expect(authenticated.port == 2525 && authenticated.host == "127.0.0.1")
        #expect(authenticated.credentials == SMTPSettings.Credentials(user: "me@example.com", password: "p:ss"))
        #expect(authenticated.from.address == "noreply@example.com" && authenticated.from.displayName == "ImageGate")
        #expect(authenticated.heloName == "example.com")

        let ipv6 = try SMTPSettings(url: "smtp://[::1]:2525", from: "a@example.com")
        #expect(ipv6.host == "::1")
    }

    @Test func describesItselfWithoutThePassword() throws {
        let settings = try SMTPSettings(url: "smtp://user:hunter2@mail.example.com:587", from: "a@example.com")
        #expect(settings.description == "smtp://user:(secret)@mail.example.com:587")
    }

    @Test(arguments: [
        "mail.example.com", "http://mail.example.com", "smtp://", "smtp://mail.example.com/path", "smtp://mail.example.com?x=1",
        "smtp://user@mail.example.com", "smtp://mail.example.com:0", "smtp://mail.example.com:70000", "smtp://:secretpw@host",
    ])
    func refusesABadURLWithoutRepeatingIt(url: String) {
        let error = #expect(throws: MailError.self) { try SMTPSettings(url: url, from: "a@example.com") }
        #expect(error?.code == MailError.invalidSettings.code, "\(url): \(error?.description ?? "")")
        #expect(error?.description.contains("secretpw") == false)
    }

    @Test(arguments: ["", "noreply", "a@", "@example.com", "a@b@c", "a b@example.com", "Name <a@example.com", "a@example..com", "é@example.com"])
    func refusesABadSender(from: String) {
        #expect(throws: MailError.invalidAddress) { try SMTPSettings(url: "smtp://mail.example.com", from: from) }
    }
}
