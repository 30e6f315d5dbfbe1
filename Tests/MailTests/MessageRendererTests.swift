import Foundation
import Testing

@testable import Mail

/// The RFC 5322 text after DATA: headers, the encoded-word subject, the quoted-printable body, CRLF, dot-stuffing, and
/// the refusal of header injection.
@Suite struct MessageRendererTests {
    let renderer = MessageRenderer(
        from: try! MailAddress(parsing: "ImageGate <noreply@example.com>"),
        date: Date(timeIntervalSince1970: 1_796_647_192),
        messageIDLocalPart: "fixed-id"
    )

    @Test func writesEveryHeaderAndABodyWithCRLF() throws {
        let text = try self.renderer.render(MailMessage(to: "user@example.org", subject: "Verify your address", text: "Hello,\nclick below.\n"))
        let (head, body) = try #require(Self.split(text))
        #expect(
            head == [
                "From: ImageGate <noreply@example.com>", "To: user@example.org", "Subject: Verify your address",
                "Date: Mon, 07 Dec 2026 12:39:52 +0000", "Message-ID: <fixed-id@example.com>", "MIME-Version: 1.0",
                "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable",
            ]
        )
        #expect(body == "Hello,\r\nclick below.\r\n")
        // No bare LF or CR anywhere: every line ends in CRLF.
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains(where: { $0 == "\r" || $0 == "\n" }))
    }

    @Test func encodesANonASCIISubjectAsEncodedWords() throws {
        let subject = "Bestätigen Sie Ihre Adresse – ✓ ist gleich 😀 und noch viel mehr Text, damit es umbricht"
        let text = try self.renderer.render(MailMessage(to: "user@example.org", subject: subject, text: "x"))
        let header = try #require(text.components(separatedBy: "\r\n\r\n").first?.components(separatedBy: "\r\nDate:").first)
        let value = try #require(header.components(separatedBy: "Subject: ").last)
        let words = value.components(separatedBy: "\r\n ")
        #expect(words.count > 1, "a long subject is folded over several encoded-words")
        var decoded = Data()
        for word in words {
            #expect(word.count <= 75 && word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            let base64 = String(word.dropFirst(10).dropLast(2))
            let bytes = try #require(Data(base64Encoded: base64))
            #expect(String(data: bytes, encoding: .utf8) != nil, "each word holds whole characters")
            decoded += bytes
        }
        #expect(String(decoding: decoded, as: UTF8.self) == subject)
    }

    @Test func quotesOrEncodesTheSendersName() throws {
        let quoted = MessageRenderer(from: try MailAddress(parsing: "\"Acme, Inc.\" <a@example.com>"))
        #expect(quoted.fromHeader == "\"Acme, Inc.\" <a@example.com>")
        let unicode = MessageRenderer(from: try MailAddress(parsing: "Bildtor Ü <a@example.com>"))
        #expect(unicode.fromHeader == "=?UTF-8?B?QmlsZHRvciDDnA==?= <a@example.com>")
    }

    @Test func bodyIsQuotedPrintableWithinLineLimits() {
        #expect(QuotedPrintable.encode("größer = 2 \nend\t") == "gr=C3=B6=C3=9Fer =3D 2=20\r\nend=09")
        let long = String(repeating: "abcdefghij", count: 30)
        let lines = QuotedPrintable.encode(long).components(separatedBy: "\r\n")
        #expect(lines.count == 4 && lines.allSatisfy { $0.count <= 76 })
        #expect(lines.dropLast().allSatisfy { $0.hasSuffix("=") })
        #expect(lines.map { $0.hasSuffix("=") ? String($0.dropLast()) : $0 }.joined() == long)
        // An escape is never split by a soft break.
        let escapes = QuotedPrintable.encode(String(repeating: "é", count: 40)).components(separatedBy: "\r\n")
        #expect(escapes.allSatisfy { $0.count <= 76 && ($0.count - ($0.hasSuffix("=") ? 1 : 0)) % 3 == 0 })
    }

    @Test func dotStuffsLinesThatStartWithADotAndEndsWithTheDotLine() {
        #expect(DataTransfer.payload(".hidden\r\nline\r\n.\r\n..two") == "..hidden\r\nline\r\n..\r\n...two\r\n.\r\n")
        #expect(DataTransfer.payload("body\r\n") == "body\r\n.\r\n")
    }

    @Test func refusesHeaderInjection() {
        #expect(throws: MailError.invalidHeader) {
            try self.renderer.render(MailMessage(to: "a@example.org", subject: "Hi\r\nBcc: victim@example.org", text: ""))
        }
        #expect(throws: MailError.invalidHeader) { try self.renderer.render(MailMessage(to: "a@example.org", subject: "Hi\nX: y", text: "")) }
        for to in ["a@example.org\r\nBcc: victim@example.org", "a@example.org\nRCPT TO:<b@example.org>", "Name <a@example.org>", "a@example.org>"] {
            #expect(throws: MailError.invalidAddress) { try self.renderer.render(MailMessage(to: to, subject: "Hi", text: "")) }
        }
        #expect(throws: MailError.invalidAddress) { try SMTPSettings(url: "smtp://h", from: "Evil\r\nBcc: x@example.org <a@example.com>") }
    }

    /// The header lines and the body of a rendered message.
    static func split(_ text: String) -> (head: [String], body: String)? {
        guard let range = text.range(of: "\r\n\r\n") else { return nil }
        return (text[..<range.lowerBound].components(separatedBy: "\r\n"), String(text[range.upperBound...]))
    }
}
