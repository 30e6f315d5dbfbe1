"""`imagegate mail-test` against aiosmtpd, a real SMTP server: a plain delivery whose headers and body Python's `email`
package reads back (non-ASCII subject and body, dot-stuffing, CRLF); STARTTLS with AUTH PLAIN through a self-signed
certificate given by --smtp-ca-file; no password sent when the server offers no STARTTLS; a wrong password refused."""

import email
import email.policy
import os
import socket
import ssl
import subprocess
import tempfile
import threading

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import BINARY, WORK, free_port, make_certificate, server_environment

USER, PASSWORD = "mailer", "s3cret-Pa55word"


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.envelopes = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@blocked.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


class Authenticator:
    """Accepts USER/PASSWORD and records every attempt, so a test can tell whether credentials were sent at all."""

    def __init__(self):
        self.attempts = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.attempts.append((mechanism, auth_data.login, auth_data.password))
        valid = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
        # handled=False: aiosmtpd answers the failure itself (535); True would mean this hook already had.
        return AuthResult(success=valid, handled=False)


@pytest.fixture
def smtp_server():
    """Starts aiosmtpd on a free loopback port with the given options; returns (port, sink); stops them all after."""
    controllers = []

    def start(**options):
        sink, port = Sink(), free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
        controller.start()
        controllers.append(controller)
        return port, sink

    yield start
    for controller in controllers:
        controller.stop()


def mail_test(*args: str) -> subprocess.CompletedProcess:
    """Runs `imagegate mail-test` with `args` and none of the caller's IMAGEGATE_ settings."""
    env = {k: v for k, v in server_environment().items() if not k.startswith("IMAGEGATE_")}
    return subprocess.run([BINARY, "mail-test", *args], capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def certificate():
    """A fresh self-signed certificate for localhost and 127.0.0.1 (its own trust root), and a server TLS context."""
    directory = tempfile.mkdtemp(prefix="smtp-tls-", dir=WORK)
    cert, key = make_certificate(directory)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


def test_plain_delivery_reads_back_with_the_right_headers_and_body(smtp_server):
    port, sink = smtp_server()
    subject = "Bestätigen Sie Ihre Adresse ✓ — ImageGate 😀"
    body = "Grüße!\n.a line that starts with a dot\n.\nlast line"
    result = mail_test(
        "--to", "user@example.org", "--subject", subject, "--text", body,
        "--smtp-url", f"smtp://127.0.0.1:{port}", "--mail-from", "ImageGate <noreply@example.com>",
    )
    assert result.returncode == 0, result.stderr
    assert "Sent" in result.stdout
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.mail_from == "noreply@example.com"
    assert envelope.rcpt_tos == ["user@example.org"]
    raw = envelope.original_content
    assert b"\n" not in raw.replace(b"\r\n", b""), "every line ends with CRLF"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "ImageGate"
    assert message["From"].addresses[0].addr_spec == "noreply@example.com"
    assert message["To"].addresses[0].addr_spec == "user@example.org"
    assert message["Date"].datetime is not None
    assert message["Message-ID"].endswith("@example.com>")
    assert message["MIME-Version"] == "1.0"
    assert message.get_content_type() == "text/plain" and message.get_content_charset() == "utf-8"
    # Dot-stuffing undone by the server: the lines that start with a dot arrive as written.
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == body
    assert message.defects == []


def test_starttls_then_auth_plain_with_a_private_trust_root(smtp_server, certificate):
    cert, context = certificate
    authenticator = Authenticator()
    port, sink = smtp_server(tls_context=context, require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    url = f"smtp://{USER}:{PASSWORD}@localhost:{port}"
    result = mail_test(
        "--to", "user@example.org", "--smtp-url", url, "--mail-from", "noreply@example.com", "--smtp-ca-file", cert, "--verbose"
    )
    assert result.returncode == 0, result.stderr
    assert [(m, login) for m, login, _ in authenticator.attempts] == [("PLAIN", USER.encode())]
    assert len(sink.envelopes) == 1 and sink.envelopes[0].rcpt_tos == ["user@example.org"]
    # The conversation is printed with --verbose, the credentials never.
    assert "STARTTLS" in result.stderr and "credentials hidden" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr

    # Without the trust root the self-signed certificate is refused, and nothing is sent.
    untrusted = mail_test("--to", "user@example.org", "--smtp-url", url, "--mail-from", "noreply@example.com")
    assert untrusted.returncode != 0
    assert "tls_failed" in untrusted.stderr, untrusted.stderr
    assert len(authenticator.attempts) == 1 and len(sink.envelopes) == 1


def test_smtps_is_tls_from_the_first_byte(smtp_server, certificate):
    cert, context = certificate
    authenticator = Authenticator()
    # ssl_context: aiosmtpd wraps the listening socket itself (implicit TLS, as on port 465), and offers no STARTTLS.
    port, sink = smtp_server(ssl_context=context, authenticator=authenticator, auth_require_tls=False)
    url = f"smtps://{USER}:{PASSWORD}@localhost:{port}"
    result = mail_test(
        "--to", "user@example.org", "--smtp-url", url, "--mail-from", "noreply@example.com", "--smtp-ca-file", cert, "--verbose"
    )
    assert result.returncode == 0, result.stderr
    assert "command=STARTTLS" not in result.stderr and "command=AUTH PLAIN" in result.stderr
    assert len(authenticator.attempts) == 1 and len(sink.envelopes) == 1


def test_no_password_in_clear_text_when_the_server_offers_no_starttls(smtp_server):
    authenticator = Authenticator()
    # This server would take AUTH without TLS; the mailer must not offer it the password.
    port, sink = smtp_server(authenticator=authenticator, auth_require_tls=False)
    url = f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}"
    result = mail_test("--to", "user@example.org", "--smtp-url", url, "--mail-from", "noreply@example.com")
    assert result.returncode != 0
    assert "tls_required" in result.stderr and "clear text" in result.stderr, result.stderr
    assert authenticator.attempts == [] and sink.envelopes == []
    assert PASSWORD not in result.stdout + result.stderr


def test_a_reply_injected_after_the_starttls_answer_is_refused():
    """A man in the middle answers STARTTLS and slips a plaintext EHLO reply in behind the answer (CVE-2011-0411's
    attack): read after the upgrade it would pass for the server's own, so the mailer must stop. Bytes arriving once
    TLS is in place fail the handshake instead (tls_failed); either way nothing more is sent in the clear. (aiosmtpd
    cannot misbehave this way, so this server is a raw socket.)"""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    port = listener.getsockname()[1]
    received = bytearray()

    def serve():
        connection, _ = listener.accept()
        connection.settimeout(30)
        with connection:
            def line() -> bytes:
                data = b""
                while not data.endswith(b"\r\n"):
                    data += connection.recv(1)
                return data

            connection.sendall(b"220 mitm ESMTP\r\n")
            line()
            connection.sendall(b"250-mitm\r\n250 STARTTLS\r\n")
            assert line() == b"STARTTLS\r\n"
            connection.sendall(b"220 go ahead\r\n250-mitm\r\n250 AUTH PLAIN\r\n")
            try:
                while chunk := connection.recv(4096):
                    received.extend(chunk)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"smtp://{USER}:{PASSWORD}@127.0.0.1:{port}"
    result = mail_test("--to", "user@example.org", "--smtp-url", url, "--mail-from", "noreply@example.com")
    thread.join(timeout=30)
    listener.close()
    assert result.returncode != 0
    # Without the guard the mailer would take the injected reply as the server's and wait out its timeout.
    assert "before TLS began" in result.stderr or "tls_failed" in result.stderr, result.stderr
    assert b"AUTH" not in received and b"MAIL FROM" not in received and PASSWORD.encode() not in received


def test_a_wrong_password_fails_with_the_servers_reply(smtp_server, certificate):
    cert, context = certificate
    authenticator = Authenticator()
    port, sink = smtp_server(tls_context=context, require_starttls=True, authenticator=authenticator)
    result = mail_test(
        "--to", "user@example.org", "--smtp-url", f"smtp://{USER}:wrong-password@localhost:{port}",
        "--mail-from", "noreply@example.com", "--smtp-ca-file", cert,
    )
    assert result.returncode != 0
    assert "authentication_failed" in result.stderr and "535" in result.stderr, result.stderr
    assert "wrong-password" not in result.stdout + result.stderr
    assert len(authenticator.attempts) == 1 and sink.envelopes == []


def test_a_rejected_recipient_missing_settings_and_header_injection_are_reported(smtp_server):
    port, sink = smtp_server()
    server = ["--smtp-url", f"smtp://127.0.0.1:{port}", "--mail-from", "a@example.com"]
    rejected = mail_test("--to", "nobody@blocked.example", *server)
    assert rejected.returncode != 0
    assert "rejected" in rejected.stderr and "RCPT TO: 550 5.1.1 no such user" in rejected.stderr, rejected.stderr
    missing = mail_test("--to", "user@example.org")
    assert missing.returncode != 0 and "--smtp-url" in missing.stderr
    injected = mail_test("--to", "user@example.org", "--subject", "Hi\r\nBcc: victim@example.org", *server)
    assert injected.returncode != 0 and "invalid_header" in injected.stderr, injected.stderr
    assert sink.envelopes == []
