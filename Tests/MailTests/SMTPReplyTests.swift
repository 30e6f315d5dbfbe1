import Testing

@testable import Mail

/// Replies assembled from the bytes a server sends: multi-line EHLO answers, partial reads, what the capabilities say,
/// and lines that are not SMTP.
@Suite struct SMTPReplyTests {
    @Test func assemblesAMultiLineEHLOReplyAndReadsItsCapabilities() throws {
        var bytes = Array(
            "250-mail.example.com Hello\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-starttls\r\n250-AUTH LOGIN plain\r\n250 8BITMIME\r\n".utf8
        )
        let reply = try #require(try SMTPReply.parse(&bytes))
        #expect(reply.code == 250 && reply.lines.count == 6 && bytes.isEmpty)
        #expect(reply.capabilities.startTLS)
        #expect(reply.capabilities.authMechanisms == ["LOGIN", "PLAIN"])
        #expect(reply.capabilities.keywords["SIZE"] == ["35882577"])
    }

    @Test func withoutSTARTTLSTheCapabilitySaysSo() throws {
        var bytes = Array("250-localhost\r\n250-AUTH PLAIN\r\n250 HELP\r\n".utf8)
        let reply = try #require(try SMTPReply.parse(&bytes))
        #expect(!reply.capabilities.startTLS)
        // The greeting line is not a keyword, even when it looks like one.
        var greeting = Array("250-STARTTLS\r\n250 HELP\r\n".utf8)
        #expect(try #require(try SMTPReply.parse(&greeting)).capabilities.startTLS == false)
    }

    @Test func waitsForTheLastLineAndKeepsWhatFollows() throws {
        var partial = Array("250-first\r\n250-sec".utf8)
        #expect(try SMTPReply.parse(&partial) == nil)
        #expect(partial.count == 18, "an incomplete reply is left where it is")
        var two = Array("220 go ahead\r\n250 injected\r\n".utf8)
        let first = try #require(try SMTPReply.parse(&two))
        #expect(first.code == 220 && first.text == "go ahead")
        let second = try #require(try SMTPReply.parse(&two))
        #expect(second.code == 250 && two.isEmpty)
    }

    @Test func acceptsABareCodeAndBareLF() throws {
        var bytes = Array("354\n".utf8)
        #expect(try SMTPReply.parse(&bytes) == SMTPReply(code: 354, lines: [""]))
    }

    @Test(arguments: ["hello\r\n", "25\r\n", "250_x\r\n", "999 x\r\n", "250-a\r\n251 b\r\n"])
    func refusesWhatIsNotAReply(text: String) {
        var bytes = Array(text.utf8)
        #expect(throws: MailError.protocolError) { try SMTPReply.parse(&bytes) }
    }

    @Test func refusesAnEndlessLine() {
        var bytes = Array(repeating: UInt8(ascii: "2"), count: 5000)
        #expect(throws: MailError.protocolError) { try SMTPReply.parse(&bytes) }
    }
}
