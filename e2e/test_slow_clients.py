"""A client that sends one byte per second must not hold a connection: the head and the body have deadlines."""

import socket
import time
from urllib.parse import urlparse


def connect(base: str) -> socket.socket:
    url = urlparse(base)
    sock = socket.create_connection((url.hostname, url.port), timeout=15)
    return sock


def closed_within(sock: socket.socket, trickle: bytes, seconds: float) -> tuple[bool, bytes]:
    """Sends `trickle` one byte per second until the server answers or closes; returns (in time, the answer)."""
    started = time.monotonic()
    answer = b""
    sock.settimeout(1.0)
    for byte in trickle:
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return time.monotonic() - started < seconds, answer
        try:
            chunk = sock.recv(65536)
            if not chunk:
                return time.monotonic() - started < seconds, answer
            # An answer ends the trickle: the server has decided.
            return time.monotonic() - started < seconds, answer + chunk
        except socket.timeout:
            pass
        except ConnectionResetError:
            return time.monotonic() - started < seconds, answer
        if time.monotonic() - started > seconds + 5:
            return False, answer
    return False, answer


def test_a_head_sent_a_byte_a_second_is_cut_off(server_factory):
    base, key, _ = server_factory("--header-timeout", "3s")
    sock = connect(base)
    head = f"POST /v1/generate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\nX-Padding: {'a' * 60}\r\n\r\n".encode()
    closed, answer = closed_within(sock, head, seconds=6)
    assert closed, "the connection was still open after the head deadline"
    assert answer == b"", "nothing is answered to a head that never completed"
    sock.close()


def test_a_body_sent_a_byte_a_second_gets_408(server_factory):
    base, key, _ = server_factory("--body-timeout", "3s")
    sock = connect(base)
    body = b'{"model":"seedream-5-lite","prompt":"a slow fox"}'
    head = (
        f"POST /v1/generate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head)
    in_time, answer = closed_within(sock, body, seconds=6)
    assert in_time
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"request_timeout" in answer
    sock.close()
