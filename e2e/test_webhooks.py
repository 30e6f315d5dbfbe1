"""Webhooks, checked by the official Standard Webhooks verifier (PyPI `standardwebhooks`) on a receiver run here:
every delivery verifies; a receiver that answers 500 twice gets the same event (same webhook-id) until it answers
200; an event survives the gateway being killed with SIGKILL while it was being delivered; after a rotation both
the old and the new secret verify; a webhook to a private address is refused before any money moves; the OpenAI
SDK asks for one with `extra_body`; and the README's standard-library receiver verifies real deliveries.
"""

import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import requests
from standardwebhooks.webhooks import Webhook

from conftest import ROOT, Process, free_port, submit_async, wait_for


class Receiver:
    """A loopback HTTP receiver that records every delivery and answers from a script (then 200)."""

    def __init__(self, script=()):
        self.script = list(script)
        self.deliveries: list[tuple[dict, bytes]] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.deliveries.append(({k.lower(): v for k, v in self.headers.items()}, body))
                    action = receiver.script.pop(0) if receiver.script else 200
                    receiver.arrived.notify_all()
                if action == "stall":
                    time.sleep(30)  # never answers in time; the connection is dropped by the gateway (or its death)
                    return
                self.send_response(action)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/imagegate"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 60) -> list[tuple[dict, bytes]]:
        with self.lock:
            assert self.arrived.wait_for(lambda: len(self.deliveries) >= count, timeout), f"{len(self.deliveries)} deliveries"
            return list(self.deliveries)

    def stop(self):
        self.server.shutdown()


def secret_of(base: str, key: str) -> str:
    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert account["webhook_secret"].startswith("whsec_")
    return account["webhook_secret"]


def generation(base: str, key: str, gen_id: str) -> dict:
    return requests.get(f"{base}/v1/generations/{gen_id}", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()


def wait_webhook_state(base: str, key: str, gen_id: str, state: str, timeout: float = 60) -> dict:
    deadline = time.time() + timeout
    while time.time() < deadline:
        body = generation(base, key, gen_id)
        if body.get("webhook", {}).get("state") == state:
            return body
        time.sleep(0.2)
    raise AssertionError(f"webhook never reached {state}: {body}")


def test_signed_events_are_retried_with_one_id_until_a_2xx(server_factory):
    receiver = Receiver([500, 500])
    base, key, _ = server_factory("--allow-private-webhook-urls", "--webhook-first-retry", "1s")
    secret = secret_of(base, key)
    created = submit_async(base, key, prompt="a lighthouse at dusk", webhook_url=receiver.url)
    assert created.status_code == 202, created.text
    gen_id = created.json()["generation_id"]

    deliveries = receiver.wait(3)
    verifier = Webhook(secret)
    for headers, body in deliveries:
        event = verifier.verify(body, headers)  # raises on a bad signature or a stale timestamp
        assert event["type"] == "generation.completed"
        assert event["data"]["generation_id"] == gen_id
        assert event["data"]["status"] == "completed"
        assert "webhook" not in event["data"]
    assert len({headers["webhook-id"] for headers, _ in deliveries}) == 1, "every retry carries the same webhook-id"
    assert deliveries[0][1] == deliveries[2][1], "the same body on every attempt"

    shown = wait_webhook_state(base, key, gen_id, "delivered")["webhook"]
    assert [a["status_code"] for a in shown["attempts"]] == [500, 500, 200]
    assert shown["webhook_id"] == deliveries[0][0]["webhook-id"]
    # The event is also what GET shows (without the webhook's own state).
    shown_generation = generation(base, key, gen_id)
    shown_generation.pop("webhook")
    # Like `webhook`, the attempts are the owner's view of one generation only (GET), never in an event's body.
    assert shown_generation.pop("attempts") == [{"provider": "local", "outcome": "completed"}]
    assert json.loads(deliveries[2][1])["data"] == shown_generation

    # Redelivery: the same id again, on request.
    redelivered = requests.post(f"{base}/v1/generations/{gen_id}/webhook/redeliver", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert redelivered.status_code == 202, redelivered.text
    again = receiver.wait(4)[3]
    assert again[0]["webhook-id"] == deliveries[0][0]["webhook-id"]
    verifier.verify(again[1], again[0])
    receiver.stop()


def test_an_event_survives_a_kill_during_its_delivery(server_factory):
    receiver = Receiver(["stall"])
    base, key, server = server_factory("--allow-private-webhook-urls", "--webhook-first-retry", "1s")
    secret = secret_of(base, key)
    gen_id = submit_async(base, key, prompt="a fox in snow", webhook_url=receiver.url).json()["generation_id"]

    first = receiver.wait(1)[0]
    server.proc.kill()  # SIGKILL while the event is being delivered: settled, sent, never answered
    server.proc.wait()
    port = base.rsplit(":", 1)[1]
    restarted = Process(["serve", "--port", port, "--data-dir", server.data_dir, "--allow-private-webhook-urls",
                         "--webhook-first-retry", "1s"], f"webhook-restart-{port}")
    try:
        wait_for(f"{base}/health")
        headers, body = receiver.wait(2, timeout=60)[1]
        event = Webhook(secret).verify(body, headers)
        assert event["type"] == "generation.completed" and event["data"]["generation_id"] == gen_id
        assert headers["webhook-id"] == first[0]["webhook-id"]
        wait_webhook_state(base, key, gen_id, "delivered")
    finally:
        restarted.stop()
        receiver.stop()


def test_after_a_rotation_both_secrets_verify(server_factory):
    receiver = Receiver()
    base, key, _ = server_factory("--allow-private-webhook-urls")
    old = secret_of(base, key)
    rotated = requests.post(f"{base}/v1/account/webhook-secret/rotate", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["webhook_secret"]
    assert new != old and new == secret_of(base, key)
    assert rotated.json()["previous_webhook_secret_expires_at"]

    submit_async(base, key, prompt="a teapot", webhook_url=receiver.url)
    headers, body = receiver.wait(1)[0]
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    receiver.stop()


def test_the_openai_sdk_asks_for_a_webhook_with_extra_body(server_factory):
    from openai import OpenAI

    receiver = Receiver()
    base, key, _ = server_factory("--allow-private-webhook-urls")
    client = OpenAI(base_url=f"{base}/v1", api_key=key)
    result = client.images.generate(model="seedream-5-lite", prompt="a red bicycle", extra_body={"webhook_url": receiver.url})
    assert result.data and result.data[0].url
    headers, body = receiver.wait(1)[0]
    event = Webhook(secret_of(base, key)).verify(body, headers)
    assert event["type"] == "generation.completed"
    receiver.stop()


def test_a_webhook_to_a_private_address_is_refused_before_any_hold(server_factory):
    base, key, _ = server_factory()
    auth = {"Authorization": f"Bearer {key}"}
    before = requests.get(f"{base}/v1/account", headers=auth, timeout=10).json()
    refused = submit_async(base, key, prompt="x", webhook_url="http://169.254.169.254/latest/meta-data")
    assert refused.status_code == 400, refused.text
    assert refused.json()["param"] == "webhook_url"
    after = requests.get(f"{base}/v1/account", headers=auth, timeout=10).json()
    assert (after["balance_usd"], after["held_usd"]) == (before["balance_usd"], before["held_usd"])


def test_the_readmes_standard_library_receiver_verifies_real_deliveries(server_factory, tmp_path):
    readme = open(os.path.join(ROOT, "README.md")).read()
    block = readme.split("<!-- webhook-receiver -->", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    script = tmp_path / "hook.py"
    script.write_text(textwrap.dedent(block))
    base, key, _ = server_factory("--allow-private-webhook-urls")
    port = free_port()
    out = open(tmp_path / "hook.log", "w+")
    hook = subprocess.Popen([sys.executable, str(script)], env={**os.environ, "WEBHOOK_SECRET": secret_of(base, key), "PORT": str(port)},
                            stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 10
        forged = None
        while forged is None and time.time() < deadline:
            try:
                forged = requests.post(f"http://127.0.0.1:{port}/", data=b"{}", timeout=2, headers={
                    "webhook-id": "msg_x", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,AAAA"})
            except requests.ConnectionError:
                time.sleep(0.1)
        assert forged is not None and forged.status_code == 401, "a forged delivery is rejected"
        gen_id = submit_async(base, key, prompt="a kite", webhook_url=f"http://127.0.0.1:{port}/hook").json()["generation_id"]
        body = wait_webhook_state(base, key, gen_id, "delivered")
        assert body["webhook"]["attempts"][-1]["status_code"] == 204
        out.seek(0)
        assert gen_id in out.read()
    finally:
        hook.kill()
        out.close()
