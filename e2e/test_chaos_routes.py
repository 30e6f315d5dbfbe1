"""Chaos across routes (issue 25): Seedream 5 Lite on fal, then Ark, each failing 30 % of its work (fal's runner
disconnects, which bill nothing and fail over; Ark's internal errors after the call was sent, which may bill and never
fail over). Mid-run the fal emulator is stopped while it holds work (lost with it, as in an outage: ImageGate gives
those requests up at the route's deadline and records what fal may bill), ImageGate is SIGKILLed and restarted, and
fal comes back. Every generation must end, with one charge for what it delivered; no supplier may have accepted one
generation twice; the audit (which checks that each generation's attempts add up to its upstream cost) is clean.
Once with one process on SQLite, once with three replicas on PostgreSQL behind nginx (breakers are per replica).
"""

import json
import os
import signal
import subprocess
import time

import pytest
import requests

from conftest import BINARY, Cluster, Process, assert_books_balance, free_port, submit_all_during, wait_for, wait_for_all_to_end

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "failover.json")
TOTAL = 240


def routes_catalog(tmp_path) -> str:
    """examples/failover.json (fal, then Ark) with a fal deadline short enough that requests lost with the stopped
    emulator are given up within the run."""
    with open(EXAMPLE) as f:
        catalog = json.load(f)
    catalog["models"][0]["routes"][0]["deadline_s"] = 20
    path = tmp_path / "chaos-routes.json"
    path.write_text(json.dumps(catalog))
    return str(path)


class Fal:
    """The fal emulator at a fixed port, so it can be stopped and started again where the routes expect it."""

    def __init__(self):
        self.port = free_port()
        self.args = ["fal-emulator", "--port", str(self.port), "--sync-port", "0", "--latency", "500ms",
                     "--fail-rate", "0.3", "--fail-type", "runner_disconnected"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.stats: list[dict] = []  # each stopped process's counters
        self.process = None
        self.start()

    def start(self):
        self.process = Process(self.args, f"chaos-routes-fal-{time.time_ns()}")
        wait_for(f"{self.url}/_emulator/stats")

    def now(self) -> dict:
        return requests.get(f"{self.url}/_emulator/stats", timeout=10).json()

    def stop(self):
        self.stats.append(self.now())
        self.process.stop()


def run(base: str, key: str, fal: Fal, restart_imagegate, credit_micros: int) -> dict:
    """The run: clients submit while fal goes down holding work, ImageGate is killed and restarted, fal comes back."""

    def chaos(submitted):
        while submitted() < TOTAL // 8 or fal.now()["accepted"] < 8:
            time.sleep(0.05)
        fal.stop()
        time.sleep(4)  # generations go on, on Ark
        restart_imagegate()
        time.sleep(4)
        fal.start()

    submit_all_during(base, key, "chaos across routes", TOTAL, chaos)
    final = wait_for_all_to_end(base, key, TOTAL, timeout=300)
    assert_books_balance(base, key, final, credit_micros)
    fal.stats.append(fal.now())
    assert {g["provider"] for g in final.values() if g["status"] == "completed"} == {"fal", "ark"}, "both routes delivered"
    stopped = fal.stats[0]
    assert stopped["accepted"] > stopped["completed"] + stopped["failed"], f"fal went down holding work: {stopped}"
    # Per generation, each route at most once; some moved from fal to Ark.
    moved = 0
    for generation in final:
        body = requests.get(f"{base}/v1/generations/{generation}", headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
        routes = [a["provider"] for a in body["attempts"]]
        assert len(routes) == len(set(routes)), f"{generation} went to one route twice: {body['attempts']}"
        moved += routes == ["fal", "ark"]
    assert moved > 0, "some generations failed over"
    return final


def suppliers_never_accepted_twice(fal: Fal, ark_stats):
    counts = ark_stats()
    print(fal.stats, counts)
    assert counts["duplicatePrompts"] == 0 and all(s["duplicatePrompts"] == 0 for s in fal.stats)


def test_chaos_across_routes(ark_factory, tmp_path):
    fal = Fal()
    ark, ark_stats = ark_factory("--latency", "100ms", "--fail-rate", "0.3", "--fail-type", "internal_error")
    data = str(tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FAL_KEY": "fal-chaos", "IMAGEGATE_FAL_URL": fal.url, "ARK_API_KEY": "ark-chaos", "IMAGEGATE_ARK_URL": ark}
    args = ["serve", "--port", str(port), "--data-dir", data, "--catalog", routes_catalog(tmp_path), "--workers", "16",
            "--log-level", "warning", "--lease", "5s", "--breaker-cooldown", "5s"]
    state = {"server": Process(args, "chaos-routes-0", env=env)}
    wait_for(f"{base}/health")
    key = state["server"].output().split("IMAGEGATE_API_KEY=")[1].split()[0]
    subprocess.run([BINARY, "credits", "add", "--account", "default", "--usd", "20", "--data-dir", data], check=True, capture_output=True)

    def restart_imagegate():
        state["server"].proc.kill()  # SIGKILL: no graceful shutdown
        state["server"].proc.wait()
        state["server"].log.close()
        state["server"] = Process(args, "chaos-routes-1", env=env)
        wait_for(f"{base}/health")

    try:
        run(base, key, fal, restart_imagegate, credit_micros=30_000_000)
    finally:
        state["server"].stop()
        fal.process.stop()
    suppliers_never_accepted_twice(fal, ark_stats)
    audit = subprocess.run([BINARY, "audit", "--blobs", "--data-dir", data], capture_output=True, text=True, timeout=300)
    print(audit.stdout)
    assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr


@pytest.mark.skipif(os.environ.get("IMAGEGATE_E2E_CLUSTER"), reason="starts its own cluster")
def test_chaos_across_routes_on_three_replicas(ark_factory, tmp_path):
    fal = Fal()
    ark, ark_stats = ark_factory("--latency", "100ms", "--fail-rate", "0.3", "--fail-type", "internal_error")
    env = {"FAL_KEY": "fal-chaos", "IMAGEGATE_FAL_URL": fal.url, "ARK_API_KEY": "ark-chaos", "IMAGEGATE_ARK_URL": ark}
    cluster = Cluster(3, ["--catalog", routes_catalog(tmp_path), "--workers", "16", "--lease", "5s", "--log-level", "warning",
                          "--breaker-cooldown", "5s"], env=env)
    try:
        subprocess.run([BINARY, "credits", "add", "--account", "default", "--usd", "20", "--data-dir", cluster.data_dir,
                        "--database", cluster.database], check=True, capture_output=True)
        run(cluster.base, cluster.key, fal, lambda: cluster.restart(2, signal.SIGKILL), credit_micros=30_000_000)
        suppliers_never_accepted_twice(fal, ark_stats)
        audit = subprocess.run([BINARY, "audit", "--data-dir", cluster.data_dir, "--database", cluster.database],
                               capture_output=True, text=True, timeout=300)
        print(audit.stdout)
        assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr
    finally:
        cluster.stop()
        fal.process.stop()
