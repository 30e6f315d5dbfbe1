"""A full disk (issue 23, item 12): the real binary on a small tmpfs holding its SQLite file and its outputs.

While the disk is full, writes answer `503 storage_full` with `Retry-After` before anything is held; reads go on
(a key's `last_used_at` stamp that cannot be written does not fail them); `/ready` says which store is full. Once
space is back, everything works again by itself and the books are clean.
"""

import os
import re
import subprocess
import tempfile
import time

import pytest
import requests
from conftest import BINARY, WORK, Process, free_port, micros, wait_for

ADMIN = "full-disk-admin-token-0123456789abcdef"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root (CI runs as root)")


def post(base: str, key: str) -> requests.Response:
    return requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                         json={"model": "seedream-5-lite", "prompt": "a lighthouse", "aspect_ratio": "1:1"})


def balance(base: str, key: str) -> int:
    response = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert response.status_code == 200, response.text
    return micros(response.json()["balance_usd"])


def test_a_full_disk_refuses_writes_with_503_keeps_reads_and_recovers(tmp_path):
    data = tempfile.mkdtemp(prefix="full-", dir=WORK)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", data], check=True)
    server = None
    try:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = Process(["serve", "--port", str(port), "--data-dir", data, "--admin-token", ADMIN], f"full-{port}")
        wait_for(f"{base}/health")
        key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", server.output()).group(1)
        admin = {"Authorization": f"Bearer {ADMIN}"}
        # A second key, never used yet: its first request will want to stamp `last_used_at`.
        assert requests.post(f"{base}/admin/v1/accounts", headers=admin, json={"name": "reader", "credit_usd": "1"}).status_code == 201
        reader = requests.post(f"{base}/admin/v1/accounts/reader/keys", headers=admin, json={}).json()["key"]
        assert post(base, key).status_code == 200

        # Fill the disk, but for a few kilobytes.
        stats = os.statvfs(data)
        filler = os.path.join(data, "filler")
        with open(filler, "wb") as f:
            f.write(b"\0" * max(0, stats.f_bavail * stats.f_frsize - 16_384))
        refused = None
        for _ in range(6):
            answer = post(base, key)
            if answer.status_code == 503:
                refused = answer
                break
            # Before the server learns that the disk is full, a generation may fail and be refunded: never a 500.
            assert answer.status_code in (200, 502), answer.text
        assert refused is not None, "no write was refused for want of space"
        assert refused.json()["code"] == "storage_full", refused.text
        assert int(refused.headers["Retry-After"]) > 0

        # Now refused before anything is held: the balance does not move.
        before = balance(base, key)
        again = post(base, key)
        assert again.status_code == 503 and again.json()["code"] == "storage_full", again.text
        assert balance(base, key) == before
        # Reads go on, a key's first use included (its `last_used_at` stamp cannot be written).
        listed = requests.get(f"{base}/v1/generations", headers={"Authorization": f"Bearer {reader}"}, timeout=30)
        assert listed.status_code == 200 and listed.json()["data"] == [], listed.text
        ready = requests.get(f"{base}/ready", timeout=30)
        assert ready.status_code == 503 and ready.json()["status"] == "storage_full", ready.text
        assert ready.json()["store"] in ("database", "outputs")

        # Space is back: within the refusal window (10 s) plus a try, everything works again by itself.
        os.remove(filler)
        deadline = time.time() + 30
        while True:
            answer = post(base, key)
            if answer.status_code == 200 or time.time() > deadline:
                break
            time.sleep(1)
        assert answer.status_code == 200, answer.text
        assert requests.get(f"{base}/ready", timeout=30).status_code == 200
        # Every generation ends (a stuck settle finishes once space is back).
        deadline = time.time() + 30
        while time.time() < deadline:
            listed = requests.get(f"{base}/v1/generations", headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
            if all(item["status"] in ("completed", "failed", "cancelled") for item in listed["data"]):
                break
            time.sleep(1)
        server.stop()
        server = None
        audit = subprocess.run([BINARY, "audit", "--data-dir", data], capture_output=True, text=True)
        assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr
    finally:
        if server is not None:
            server.stop()
        subprocess.run(["umount", "-l", data], check=False)
