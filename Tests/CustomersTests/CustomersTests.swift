import Billing
import Essentials
import Foundation
import Logging
import Mail
import SQLKit
import Storage
import StorageTestSupport
import Synchronization
import Testing

@testable import Customers

/// Self-service accounts on the real database (SQLite, or PostgreSQL with IMAGEGATE_TEST_POSTGRES): sign-up, the
/// mailed verification link, sign-in's one answer for unknown emails and wrong passwords, attempt limits, invite
/// codes and password reset ending every session.
@Suite struct CustomersTests {
    /// The mails the use cases handed over, read back by the tests (the SMTP sender is tested against a real server
    /// in the end-to-end suite).
    final class Mailbox: MailSender {
        let letters = Mutex<[MailMessage]>([])
        var last: MailMessage? { self.letters.withLock { $0.last } }

        func send(_ message: MailMessage) async throws { self.letters.withLock { $0.append(message) } }

        /// The token in the last mail's link.
        func token() throws -> String {
            let text = try #require(self.last?.text)
            let range = try #require(text.range(of: "token="))
            return String(text[range.upperBound...].prefix { $0.isHexDigit })
        }
    }

    static func withCustomers(
        signup: SignupMode = .open,
        credit: MicroUSD = .zero,
        _ body: (Customers, Mailbox, any Database) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("customers-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let database = try await TestDatabase.open(
            directory: directory,
            schema: Migrations([Migrations.storageSteps, BillingTables.migrations, CustomerTables.migrations])
        )
        let mailbox = Mailbox()
        let customers = Customers(
            database: database,
            settings: CustomerSettings(signup: signup, startingCredit: credit, publicURL: "https://gate.example/"),
            passwords: Passwords(cost: 4),
            mailer: mailbox,
            logger: Logger(label: "customers-test")
        )
        do {
            try await body(customers, mailbox, database)
            try await database.close()
        } catch {
            try? await database.close()
            throw error
        }
    }

    /// Runs `attempt`, which must be refused with a `CustomerError` of `code`; `what` names it when it is not.
    static func expectRefused(_ code: CustomerError.Code, _ what: String, _ attempt: () async throws -> Void) async {
        do {
            try await attempt()
            Issue.record("\(what) was let through")
        } catch let error as CustomerError {
            #expect(error.code == code, "\(what)")
        } catch {
            Issue.record("\(what) failed with \(error)")
        }
    }

    static func balance(_ database: any Database, _ accountID: String) async throws -> MicroUSD {
        try #require(try await AccountStore(database: database).get(id: accountID)).balance
    }

    @Test func signUpMailsASingleUseLinkThatVerifiesAndGrantsTheStartingCreditOnce() async throws {
        try await Self.withCustomers(credit: MicroUSD(micros: 1_000_000)) { customers, mailbox, database in
            let session = try await customers.signUp(email: " Ada@Example.com ", password: "correct horse", invite: nil, address: "10.0.0.1")
            let viewer = try #require(try await customers.viewer(session: session.token))
            #expect(viewer.email == "Ada@Example.com" && !viewer.verified)
            #expect(mailbox.last?.to == "Ada@Example.com")
            #expect(mailbox.last?.text.contains("https://gate.example/verify?token=") == true)
            #expect(try await Self.balance(database, viewer.accountID) == .zero)

            let token = try mailbox.token()
            try await customers.verify(token: token)
            let verified = try #require(try await customers.viewer(session: session.token))
            #expect(verified.verified)
            #expect(try await Self.balance(database, viewer.accountID).micros == 1_000_000)
            // The link is spent: a second click changes nothing and says so.
            await #expect(throws: CustomerError.badLink) { try await customers.verify(token: token) }
            // A reset link (which also proves the mailbox) does not grant the credit again.
            try await customers.requestReset(email: "ada@example.com", address: "10.0.0.1")
            try await customers.resetPassword(token: try mailbox.token(), password: "another horse")
            #expect(try await Self.balance(database, viewer.accountID).micros == 1_000_000)
        }
    }

    @Test func oneAddressIsOneAccountWhateverItsCase() async throws {
        try await Self.withCustomers { customers, _, _ in
            _ = try await customers.signUp(email: "bo@example.com", password: "correct horse", invite: nil, address: "a")
            await #expect(throws: CustomerError.self) {
                _ = try await customers.signUp(email: "BO@example.com", password: "correct horse", invite: nil, address: "b")
            }
        }
    }

    @Test func badInputIsRefusedNamingTheField() async throws {
        try await Self.withCustomers { customers, mailbox, _ in
            for (email, password, field) in [
                ("not-an-email", "correct horse", "email"), ("x@example.com", "short", "password"),
                ("y@example.com", "correct\0horse battery", "password"),
            ] {
                do {
                    _ = try await customers.signUp(email: email, password: password, invite: nil, address: "a")
                    Issue.record("\(email) / \(password) was accepted")
                } catch let error as CustomerError {
                    #expect(error.code == .invalid && error.field == field)
                }
            }
            #expect(mailbox.last == nil)
        }
    }

    @Test func unknownEmailAndWrongPasswordGetTheSameAnswer() async throws {
        try await Self.withCustomers { customers, _, _ in
            _ = try await customers.signUp(email: "cy@example.com", password: "correct horse", invite: nil, address: "a")
            await #expect(throws: CustomerError.badCredentials) {
                _ = try await customers.signIn(email: "cy@example.com", password: "wrong horse!", address: "a", replacing: nil)
            }
            await #expect(throws: CustomerError.badCredentials) {
                _ = try await customers.signIn(email: "nobody@example.com", password: "wrong horse!", address: "a", replacing: nil)
            }
            let session = try await customers.signIn(email: "CY@example.com", password: "correct horse", address: "a", replacing: nil)
            #expect(try await customers.viewer(session: session.token)?.email == "cy@example.com")
        }
    }

    @Test func signInRotatesTheSessionAndSignOutEndsIt() async throws {
        try await Self.withCustomers { customers, _, _ in
            let first = try await customers.signUp(email: "di@example.com", password: "correct horse", invite: nil, address: "a")
            let second = try await customers.signIn(email: "di@example.com", password: "correct horse", address: "a", replacing: first.token)
            #expect(first.token != second.token)
            #expect(try await customers.viewer(session: first.token) == nil)
            #expect(try await customers.viewer(session: second.token) != nil)
            try await customers.signOut(session: second.token)
            #expect(try await customers.viewer(session: second.token) == nil)
        }
    }

    @Test func guessingOnePasswordIsLimitedEvenWithTheRightOneLater() async throws {
        try await Self.withCustomers { customers, _, _ in
            _ = try await customers.signUp(email: "ed@example.com", password: "correct horse", invite: nil, address: "a")
            for attempt in 0..<AttemptLimit.signInPerEmail.attempts {
                await #expect(throws: CustomerError.badCredentials) {
                    _ = try await customers.signIn(
                        email: "ed@example.com",
                        password: "guess \(attempt)!!",
                        address: "10.0.0.\(attempt)",
                        replacing: nil
                    )
                }
            }
            do {
                _ = try await customers.signIn(email: "ed@example.com", password: "correct horse", address: "10.9.9.9", replacing: nil)
                Issue.record("the eleventh attempt was let through")
            } catch let error as CustomerError {
                #expect(error.code == .tooMany && (error.retryAfter ?? 0) > 0)
            }
        }
    }

    @Test func signUpsAndSignInsAreLimitedPerAddressAndSignUpsPerEmail() async throws {
        try await Self.withCustomers { customers, _, _ in
            // One address making many accounts.
            for index in 0..<AttemptLimit.signUpPerAddress.attempts {
                _ = try await customers.signUp(email: "many\(index)@example.com", password: "correct horse", invite: nil, address: "10.1.1.1")
            }
            await Self.expectRefused(.tooMany, "the address's 11th sign-up") {
                _ = try await customers.signUp(email: "one-more@example.com", password: "correct horse", invite: nil, address: "10.1.1.1")
            }
            // One email tried from many addresses: the first try makes the account, the next ones are refused as taken,
            // and the one past the limit is refused as too many.
            _ = try await customers.signUp(email: "once@example.com", password: "correct horse", invite: nil, address: "10.2.0.0")
            for index in 1..<AttemptLimit.signUpPerEmail.attempts {
                await Self.expectRefused(.emailTaken, "sign-up \(index + 1) for a taken email") {
                    _ = try await customers.signUp(email: "once@example.com", password: "correct horse", invite: nil, address: "10.2.0.\(index)")
                }
            }
            await Self.expectRefused(.tooMany, "the sixth sign-up for one email") {
                _ = try await customers.signUp(email: "once@example.com", password: "correct horse", invite: nil, address: "10.3.0.1")
            }
            // One address guessing across many emails.
            for index in 0..<AttemptLimit.signInPerAddress.attempts {
                await #expect(throws: CustomerError.badCredentials) {
                    _ = try await customers.signIn(email: "guess\(index)@example.com", password: "wrong horse!", address: "10.4.4.4", replacing: nil)
                }
            }
            await Self.expectRefused(.tooMany, "the address's 31st sign-in") {
                _ = try await customers.signIn(email: "many1@example.com", password: "correct horse", address: "10.4.4.4", replacing: nil)
            }
        }
    }

    @Test func passwordResetEndsEverySessionAndAnUnknownEmailMailsNothing() async throws {
        try await Self.withCustomers { customers, mailbox, _ in
            let session = try await customers.signUp(email: "fi@example.com", password: "correct horse", invite: nil, address: "a")
            let mailsBefore = mailbox.letters.withLock { $0.count }
            try await customers.requestReset(email: "nobody@example.com", address: "a")
            #expect(mailbox.letters.withLock { $0.count } == mailsBefore)
            try await customers.requestReset(email: "fi@example.com", address: "a")
            let token = try mailbox.token()
            await #expect(throws: CustomerError.self) { try await customers.resetPassword(token: token, password: "short") }
            try await customers.resetPassword(token: token, password: "brand new horse")
            #expect(try await customers.viewer(session: session.token) == nil)
            await #expect(throws: CustomerError.badLink) { try await customers.resetPassword(token: token, password: "brand new horse") }
            await #expect(throws: CustomerError.badCredentials) {
                _ = try await customers.signIn(email: "fi@example.com", password: "correct horse", address: "a", replacing: nil)
            }
            _ = try await customers.signIn(email: "fi@example.com", password: "brand new horse", address: "a", replacing: nil)
        }
    }

    @Test func anInviteCodeServesOnePerson() async throws {
        try await Self.withCustomers(signup: .invite) { customers, _, database in
            let (code, _) = try await customers.createInvite(note: "for gus")
            await #expect(throws: CustomerError.self) {
                _ = try await customers.signUp(email: "gus@example.com", password: "correct horse", invite: nil, address: "a")
            }
            _ = try await customers.signUp(email: "gus@example.com", password: "correct horse", invite: code, address: "a")
            await Self.expectRefused(.badInvite, "a second use of one invite code") {
                _ = try await customers.signUp(email: "hal@example.com", password: "correct horse", invite: code, address: "a")
            }
            // The refused sign-up left nothing behind: one user, one account.
            let users = try await customers.users()
            #expect(users.map(\.email) == ["gus@example.com"])
            #expect(try await AccountStore(database: database).list().count == 1)
            #expect(try await customers.invites().first?.usedBy == "gus@example.com")
        }
    }

    @Test func closedSignupTakesNobody() async throws {
        try await Self.withCustomers(signup: .closed) { customers, _, _ in
            #expect(!customers.signupAvailable)
            await Self.expectRefused(.signupClosed, "a sign-up on a closed server") {
                _ = try await customers.signUp(email: "ivy@example.com", password: "correct horse", invite: nil, address: "a")
            }
        }
    }

    @Test func countsAndLinksFromDaysAgoAreDeletedAsNewOnesCome() async throws {
        try await Self.withCustomers { customers, _, database in
            let old = Timestamp.nowMillis() - 3 * 24 * 3_600_000
            try await database.transaction { sql in
                try await sql.raw("INSERT INTO auth_attempts (subject, attempts, window_start) VALUES ('signin-ip:old', 3, \(bind: old))").run()
            }
            _ = try await customers.signUp(email: "jo@example.com", password: "correct horse", invite: nil, address: "new")
            let userID = try #require(try await customers.users().first).id
            try await database.transaction { sql in
                try await sql.raw(
                    "INSERT INTO email_tokens (token_hash, user_id, purpose, expires_at) VALUES ('old', \(bind: userID), 'reset', \(bind: old))"
                ).run()
            }
            try await customers.requestReset(email: "jo@example.com", address: "new")
            let left = try await database.read { sql in
                (
                    try await sql.raw("SELECT subject FROM auth_attempts").all().map { try $0.decode(column: "subject", as: String.self) },
                    try await sql.raw("SELECT token_hash FROM email_tokens").all().map { try $0.decode(column: "token_hash", as: String.self) }
                )
            }
            #expect(!left.0.contains("signin-ip:old") && left.0.contains("signup-ip:new"))
            #expect(!left.1.contains("old") && left.1.count == 2)
        }
    }
}
