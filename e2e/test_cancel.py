"""Cancelling a generation that fal is running, with the CLI, watched live over its event stream."""

import threading
import time

import requests

from conftest import operator, submit_async
from test_cli import run_cli
from test_events import events


def test_a_running_fal_generation_is_cancelled_upstream_and_returned_in_full(emulator_factory, server_factory):
    fal = emulator_factory("--latency", "4s")
    base, key, server = server_factory("--provider", "fal", "--fal-queue-url", fal, "--fal-key", "test")
    auth = {"Authorization": f"Bearer {key}"}
    created = submit_async(base, key, prompt="a slow lighthouse", num_images=2)
    assert created.status_code == 202
    generation = created.json()["generation_id"]

    # A watcher follows it live from the start; it must see the end as `cancelled`.
    seen = []

    def watch():
        with requests.get(f"{base}/v1/generations/{generation}/events", headers=auth, stream=True, timeout=60) as stream:
            seen.extend(events(stream))

    watcher = threading.Thread(target=watch)
    watcher.start()
    deadline = time.monotonic() + 20
    while requests.get(f"{base}/v1/generations/{generation}", headers=auth, timeout=10).json()["status"] != "processing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)  # fal holds it and runs it

    cancelled = run_cli(base, key, "generations", "cancel", generation)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith(f"cancelled {generation}"), cancelled.stdout
    watcher.join(timeout=30)

    assert [name for _, name, _ in seen][-1] == "cancelled"
    final = seen[-1][2]
    assert final["refunded_usd"] == 0.028 and final["cost_usd"] == 0 and final["error"]["code"] == "cancelled"
    stats = requests.get(f"{fal}/_emulator/stats", timeout=10).json()
    assert stats["cancelled"] == 1, stats
    account = requests.get(f"{base}/v1/account", headers=auth, timeout=10).json()
    assert account["balance_usd"] == 10 and account["held_usd"] == 0

    # Cancelling again is the same answer; the books are clean, fal's possible bill reported as the operator's loss.
    again = requests.post(f"{base}/v1/generations/{generation}/cancel", headers=auth, timeout=30)
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    audit = operator("audit", "--json", data_dir=server.data_dir)
    assert '"clean":true' in audit.replace(" ", ""), audit
    assert generation in audit
