"""The shipped alert rules in a real Prometheus (Debian's): it scrapes a running ImageGate on the fal emulator, and
once the emulator is killed ImageGateSupplierUnreachable fires, as Prometheus's own HTTP API reports it. Intervals
and the rules' `for` are shortened in a copy of deploy/prometheus/alerts.yml; the expressions are the shipped ones."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
import requests

from conftest import ROOT, WORK, Process, free_port, wait_for

PROMETHEUS = shutil.which("prometheus")
pytestmark = [
    pytest.mark.skipif(os.environ.get("IMAGEGATE_E2E_CLUSTER"), reason="one server's own metrics"),
    pytest.mark.skipif(PROMETHEUS is None, reason="Debian's prometheus is not installed (scripts/install-deps --for-tests)"),
]


def alerts(prometheus: str) -> list[dict]:
    return requests.get(f"{prometheus}/api/v1/alerts", timeout=10).json()["data"]["alerts"]


def test_the_supplier_alert_fires_when_the_emulator_dies():
    fal_port, metrics_port, port, prom_port = free_port(), free_port(), free_port(), free_port()
    emulator = Process(["fal-emulator", "--port", str(fal_port), "--sync-port", "0"], f"prom-fal-{fal_port}")
    wait_for(f"http://127.0.0.1:{fal_port}/_emulator/stats")
    directory = tempfile.mkdtemp(prefix="prometheus-", dir=WORK)
    server = Process(["serve", "--port", str(port), "--data-dir", os.path.join(directory, "data"), "--metrics-port", str(metrics_port),
                      "--provider", "fal", "--fal-queue-url", f"http://127.0.0.1:{fal_port}", "--fal-key", "k"], f"prom-serve-{port}")
    wait_for(f"http://127.0.0.1:{port}/health")

    with open(os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")) as f:
        rules = re.sub(r"^(\s+)for: \S+$", r"\1for: 2s", f.read(), flags=re.M)
    with open(os.path.join(directory, "alerts.yml"), "w") as f:
        f.write(rules)
    with open(os.path.join(ROOT, "deploy", "prometheus", "prometheus.yml")) as f:
        config = f.read().replace("127.0.0.1:9100", f"127.0.0.1:{metrics_port}")
    config = re.sub(r"(scrape|evaluation)_interval: \S+", r"\1_interval: 1s", config)
    with open(os.path.join(directory, "prometheus.yml"), "w") as f:
        f.write(config)
    log = open(os.path.join(directory, "prometheus.log"), "w")
    prometheus = subprocess.Popen([PROMETHEUS, f"--config.file={directory}/prometheus.yml", f"--storage.tsdb.path={directory}/tsdb",
                                   f"--web.listen-address=127.0.0.1:{prom_port}"], stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{prom_port}"
    try:
        # Prometheus answers /-/ready with 503 until its TSDB is open, and its query API with 503 too: wait for 200.
        wait_for(f"{api}/-/ready", timeout=60, status=200)
        # Scraped and healthy first: the target is up and the upstream reachable, and no supplier alert.
        deadline = time.time() + 60
        while time.time() < deadline:
            result = requests.get(f"{api}/api/v1/query", params={"query": 'imagegate_upstream_up{provider="fal"}'}, timeout=10).json()
            if result["data"]["result"] and result["data"]["result"][0]["value"][1] == "1":
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"Prometheus never saw the upstream up: {result}")
        assert not [a for a in alerts(api) if a["labels"]["alertname"] == "ImageGateSupplierUnreachable"]
        # Every query of the shipped dashboard is one Prometheus accepts, on series this server exports.
        with open(os.path.join(ROOT, "deploy", "prometheus", "grafana-dashboard.json")) as f:
            queries = [t["expr"] for panel in json.load(f)["panels"] for t in panel["targets"]]
        for query in queries:
            answer = requests.get(f"{api}/api/v1/query", params={"query": query}, timeout=10).json()
            assert answer["status"] == "success", (query, answer)
        quiet = [q for q in queries if "upstream_loss" not in q and "credit_added" not in q and "write_failures" not in q
                 and "storage_full" not in q and "generation_duration" not in q and "generations_ended" not in q
                 and "webhook_attempts" not in q and "upstream_calls" not in q and "upstream_cost" not in q and "charge" not in q]
        empty = [q for q in quiet if not requests.get(f"{api}/api/v1/query", params={"query": q}, timeout=10).json()["data"]["result"]]
        assert empty == [], f"queries on series that do not exist: {empty}"

        emulator.stop()
        deadline = time.time() + 90
        firing = []
        while time.time() < deadline and not firing:
            firing = [a for a in alerts(api)
                      if a["labels"]["alertname"] == "ImageGateSupplierUnreachable" and a["state"] == "firing"]
            time.sleep(0.5)
        assert firing, alerts(api)
        assert firing[0]["labels"]["provider"] == "fal" and firing[0]["labels"]["severity"] == "page"
        assert not [a for a in alerts(api) if a["labels"]["alertname"] == "ImageGateReplicaDown"]
    finally:
        prometheus.terminate()
        prometheus.wait(timeout=30)
        log.close()
        server.stop()
        emulator.stop()
