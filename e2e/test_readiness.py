"""`/ready` tells the truth (issue 28, item 3): 503 with the reason when the blob store refuses writes (a real
SeaweedFS whose key may read but not write: its HeadBucket still answers) and when the fal upstream cannot be
reached (the emulator killed); `/health` stays 200 meanwhile, and `/ready` comes back once the upstream does."""

import os
import re
import time

import pytest
import requests

from conftest import Process, free_port, wait_for
from test_object_storage import s3_factory  # noqa: F401  (the fixture)

pytestmark = pytest.mark.skipif(os.environ.get("IMAGEGATE_E2E_CLUSTER"), reason="one server's own dependencies")


def ready_within(base: str, status: int, timeout: float = 30) -> dict:
    """Polls `/ready` (its deep checks are cached for 5 s) until it answers `status`; returns its body."""
    deadline = time.time() + timeout
    answer = None
    while time.time() < deadline:
        answer = requests.get(f"{base}/ready", timeout=15)
        if answer.status_code == status:
            return answer.json()
        time.sleep(0.5)
    raise AssertionError(f"/ready never answered {status}: {answer.status_code if answer else None} {answer.text if answer else ''}")


def test_ready_is_503_when_the_store_refuses_writes(server_factory, s3_factory):  # noqa: F811
    s3 = s3_factory("seaweedfs")
    read_only = ["--blob-store", f"s3://{s3.bucket}", "--s3-endpoint", s3.endpoint,
                 "--s3-access-key-id", f"RO{s3.access}", "--s3-secret-access-key", s3.secret]
    metrics_port = free_port()
    base, _, _ = server_factory(*read_only, "--metrics-port", str(metrics_port))
    body = ready_within(base, 503)
    assert body == {"status": "unavailable", "reason": "outputs_unwritable"}, body
    assert requests.get(f"{base}/health", timeout=10).status_code == 200
    # The refused PUT is counted for the "store refusing writes" alert.
    metrics = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).text
    refused = re.search(r'^imagegate_blob_write_failures_total\{store="s3"\} (\d+)', metrics, re.M)
    assert refused and int(refused.group(1)) >= 1, metrics


def test_ready_is_503_while_the_upstream_is_unreachable(server_factory):
    port = free_port()
    start = ["fal-emulator", "--port", str(port), "--sync-port", "0"]
    emulator = Process(start, f"emulator-ready-{port}")
    wait_for(f"http://127.0.0.1:{port}/_emulator/stats")
    base, _, _ = server_factory("--provider", "fal", "--fal-queue-url", f"http://127.0.0.1:{port}", "--fal-key", "k")
    try:
        assert ready_within(base, 200) == {"status": "ready"}
        emulator.stop()
        body = ready_within(base, 503)
        assert body == {"status": "unavailable", "reason": "upstream_unreachable"}, body
        assert requests.get(f"{base}/health", timeout=10).status_code == 200
        emulator = Process(start, f"emulator-ready-again-{port}")
        wait_for(f"http://127.0.0.1:{port}/_emulator/stats")
        assert ready_within(base, 200) == {"status": "ready"}
    finally:
        emulator.stop()
