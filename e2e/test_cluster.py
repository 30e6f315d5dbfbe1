"""Several replicas on PostgreSQL behind nginx (`scripts/cluster`), with chaos: the fal emulator at 1 s latency fails
30 % of runs and drops some outputs, 16 clients retry through nginx with their Idempotency-Key, and two replicas are
stopped and restarted (one SIGKILL, one graceful SIGTERM). Every generation ends, each logical request is one
generation, fal is never sent one twice, the balance is the credit minus the delivered images to the micro-dollar, nothing stays held, and
`imagegate audit` is clean.
"""

import concurrent.futures
import subprocess
import time
import uuid

import pytest
import requests

from conftest import BINARY, Cluster, assert_books_balance, operator, submit_all_during, wait_for_all_to_end

TOTAL = 300
PRICE_MICROS = 14_000


@pytest.mark.parametrize("outputs", ["files", "s3"])
def test_three_replicas_on_postgres_survive_kills_with_exact_books(emulator_factory, outputs):
    """`files`: one shared directory. `s3`: a SeaweedFS bucket, outputs delivered by redirect to presigned links."""
    fal = emulator_factory("--latency", "1s", "--fail-rate", "0.3", "--drop-output-rate", "0.05")
    cluster = Cluster(3, ["--provider", "fal", "--fal-queue-url", fal, "--fal-key", "cluster", "--workers", "16", "--lease", "5s",
                          "--log-level", "warning"], s3=outputs == "s3")
    try:
        operator("credits", "add", "--account", "default", "--usd", "10", data_dir=cluster.data_dir)
        final = run_chaos(cluster.base, cluster.key, fal, cluster, credit_micros=20_000_000)
        outputs_are_served(cluster.base, cluster.key, final, redirect=outputs == "s3")
        one_key_on_every_replica(int(cluster.base.rsplit(":", 1)[1]), cluster.key)
        audit = subprocess.run([BINARY, "audit", "--data-dir", cluster.data_dir, "--database", cluster.database],
                               capture_output=True, text=True)
        print(audit.stdout)
        assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr
    finally:
        cluster.stop()


def outputs_are_served(base: str, key: str, final: dict, redirect: bool):
    """A sample of the delivered images, fetched through nginx by their links (following the redirect to the store)."""
    completed = [generation for generation, body in final.items() if body["status"] == "completed"][:12]
    assert completed
    for generation in completed:
        body = requests.get(f"{base}/v1/generations/{generation}", headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
        url = body["images"][0]["url"]
        first = requests.get(url, allow_redirects=False, timeout=30)
        assert first.status_code == (302 if redirect else 200), first.text
        image = requests.get(url, timeout=30)
        assert image.status_code == 200 and image.content[:4] == b"\x89PNG", image.text[:200]


def one_key_on_every_replica(port: int, key: str):
    """The same Idempotency-Key sent to the three replicas at once (not through nginx): one generation."""
    idem = str(uuid.uuid4())
    body = {"model": "seedream-5-lite", "prompt": "one key, three replicas", "aspect_ratio": "1:1"}

    def send(index: int) -> str:
        replica = f"http://127.0.0.1:{port + 1 + index % 3}"
        response = requests.post(f"{replica}/v1/generate", json=body, timeout=30,
                                 headers={"Authorization": f"Bearer {key}", "Prefer": "respond-async", "Idempotency-Key": idem})
        assert response.status_code in (200, 202, 502), response.text
        return response.json()["generation_id"]

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        assert len(set(pool.map(send, range(12)))) == 1


def run_chaos(base: str, key: str, fal: str, cluster: Cluster, credit_micros: int):
    def killer(submitted):
        for replica, share, signal in ((2, 3, 9), (3, 3 / 2, 15)):
            while submitted() < TOTAL / share:
                time.sleep(0.05)
            cluster.restart(replica, signal)

    submit_all_during(base, key, "cluster", TOTAL, killer)
    final = wait_for_all_to_end(base, key, TOTAL, timeout=300)
    assert_books_balance(base, key, final, credit_micros, PRICE_MICROS)

    stats = requests.get(f"{fal}/_emulator/stats", timeout=10).json()
    print(stats)
    assert stats["duplicatePrompts"] == 0, "fal was sent a generation twice"
    assert stats["accepted"] <= TOTAL
    return final
