"""Metrics an operator can alert on (issue 28, item 1), scraped from a running server on fal's emulator: every
family has HELP text, a build-info series carries the version, no zero `hb_request_errors` series; upstream calls by
outcome include the connection failures once the emulator is killed; generations by final status and error code;
the queue depth and oldest age are live at scrape; money held, credit added, revenue and upstream cost; the webhook
backlog and its oldest age."""

import os
import re
import socket
import subprocess
import time

import pytest
import requests

from conftest import BINARY, Process, free_port, submit_async, wait_for

pytestmark = pytest.mark.skipif(os.environ.get("IMAGEGATE_E2E_CLUSTER"), reason="one server's own metrics")
ADMIN_TOKEN = "m" * 40
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$")


def scrape(port: int) -> tuple[str, dict]:
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    samples = {}
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if match:
            samples[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return text, samples


def value(samples: dict, name: str, **labels) -> float:
    """The sum of `name`'s samples whose labels include `labels`."""
    total, found = 0.0, False
    for key, number in samples.items():
        family, _, rest = key.partition("{")
        if family == name and all(f'{k}="{v}"' in rest for k, v in labels.items()):
            total, found = total + number, True
    assert found, f"no {name} {labels}"
    return total


def dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_metrics_an_operator_alerts_on():
    fal_port, metrics_port, port = free_port(), free_port(), free_port()
    emulator = Process(["fal-emulator", "--port", str(fal_port), "--sync-port", "0", "--latency", "4s"], f"metrics-fal-{fal_port}")
    wait_for(f"http://127.0.0.1:{fal_port}/_emulator/stats")
    data = os.path.join(os.path.dirname(emulator.log_path), f"metrics-data-{port}")
    server = Process(["serve", "--port", str(port), "--data-dir", data, "--metrics-port", str(metrics_port), "--provider", "fal",
                      "--fal-queue-url", f"http://127.0.0.1:{fal_port}", "--fal-key", "k", "--workers", "1",
                      "--admin-token", ADMIN_TOKEN, "--allow-private-webhook-urls", "--webhook-first-retry", "1h"],
                     f"metrics-{port}")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health")
        key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", server.output()).group(1)
        credit = requests.post(f"{base}/admin/v1/accounts/default/credits", json={"usd": "2.5"},
                               headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=10)
        assert credit.status_code in (200, 201), credit.text
        # One worker, fal taking 4 s: the first runs, the other three wait in the queue; the webhooks go nowhere.
        hook = f"http://127.0.0.1:{dead_port()}/hook"
        ids = [submit_async(base, key, prompt=f"queued {n}", webhook_url=hook).json()["generation_id"] for n in range(4)]
        # Within the sweep's 10 s, so only a figure read at scrape can show the queue as it is now.
        deadline = time.time() + 5
        text, samples = scrape(metrics_port)
        while value(samples, "imagegate_queue_depth") != 3 and time.time() < deadline:
            time.sleep(0.2)
            text, samples = scrape(metrics_port)
        assert value(samples, "imagegate_queue_depth") == 3, "the queue as it is now, not as a sweep last counted it"
        time.sleep(1)
        text, samples = scrape(metrics_port)
        assert value(samples, "imagegate_queue_oldest_age_seconds") >= 1
        assert value(samples, "imagegate_money_held_micros") == 4 * 14_000
        assert value(samples, "imagegate_unfinished_oldest_age_seconds") >= 1
        assert value(samples, "imagegate_credit_added_micros_total") == 2_500_000
        assert value(samples, "imagegate_build_info", version=version()) == 1

        families = re.findall(r"^# TYPE (\S+) ", text, re.M)
        helped = set(re.findall(r"^# HELP (\S+) ", text, re.M))
        assert families and [f for f in families if f not in helped] == [], "every family has HELP text"
        assert "hb_request_errors" not in text

        deadline = time.time() + 120
        while time.time() < deadline:
            states = [requests.get(f"{base}/v1/generations/{g}", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()["status"]
                      for g in ids]
            if all(s == "completed" for s in states):
                break
            time.sleep(0.5)
        _, samples = scrape(metrics_port)
        assert value(samples, "imagegate_generations_ended_total", status="completed", code="none") == 4
        assert value(samples, "imagegate_money_micros_total", kind="charge") == 4 * 14_000
        assert value(samples, "imagegate_upstream_cost_micros_total", provider="fal") > 0
        assert value(samples, "imagegate_upstream_calls_total", provider="fal", outcome="2xx") > 0
        assert value(samples, "imagegate_queue_depth") == 0 and value(samples, "imagegate_money_held_micros") == 0
        assert value(samples, "imagegate_webhook_backlog") >= 4 and value(samples, "imagegate_webhook_oldest_age_seconds") > 0
        assert value(samples, "imagegate_upstream_up", provider="fal") == 1  # probed at the first scrape, seconds ago

        emulator.stop()
        failed = submit_async(base, key, prompt="nobody answers").json()["generation_id"]
        deadline = time.time() + 120
        while time.time() < deadline:
            body = requests.get(f"{base}/v1/generations/{failed}", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
            if body["status"] == "failed":
                break
            time.sleep(0.5)
        assert body["status"] == "failed", body
        _, samples = scrape(metrics_port)
        failures = sum(value(samples, "imagegate_upstream_calls_total", provider="fal", outcome=o)
                       for o in ("connect_failed", "timeout") if any(f'outcome="{o}"' in k for k in samples))
        assert failures > 0, {k: v for k, v in samples.items() if "upstream_calls" in k}
        assert value(samples, "imagegate_generations_ended_total", status="failed", code=body["error"]["code"]) == 1
        # Probed beside the scrapes, so a scrape shows the probe before it.
        deadline = time.time() + 30
        while value(samples, "imagegate_upstream_up", provider="fal") != 0 and time.time() < deadline:
            time.sleep(0.5)
            _, samples = scrape(metrics_port)
        assert value(samples, "imagegate_upstream_up", provider="fal") == 0
    finally:
        server.stop()
        emulator.stop()


def version() -> str:
    return subprocess.run([BINARY, "--version"], capture_output=True, text=True, check=True).stdout.strip()
