"""Failover between suppliers (issue 25): `imagegate serve --catalog examples/failover.json` routes Seedream 5 Lite
to the fal emulator, then the Ark emulator. With fal stopped mid-run every generation still completes, on Ark, charged
once; fal's breaker opens (in /metrics and the admin API), and after fal is back and the cooldown over, one probe
closes it again. The margin report shows both routes, every generation was accepted by one supplier only, and the
books audit clean."""

import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import BINARY, Process, free_port, micros, wait_for

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "failover.json")
ADMIN = "failover-admin-token-0123456789abcdef"
MODEL = "seedream-5-lite"


def breaker_state(metrics_url: str, route: str) -> float | None:
    text = requests.get(metrics_url, timeout=10).text
    match = re.search(r'imagegate_route_breaker_state\{(?=[^}]*model="%s")(?=[^}]*route="%s")[^}]*\} (\S+)' % (MODEL, route), text)
    return float(match.group(1)) if match else None


def generate(base: str, key: str, prompt: str) -> dict:
    answer = requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=180,
                           json={"model": MODEL, "prompt": prompt, "aspect_ratio": "1:1"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def attempts(base: str, key: str, generation: str) -> list:
    answer = requests.get(f"{base}/v1/generations/{generation}", headers={"Authorization": f"Bearer {key}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["attempts"]


def test_generations_fail_over_to_ark_while_fal_is_down_and_the_breaker_closes_when_it_returns(ark_factory, tmp_path):
    fal_port = free_port()

    def start_fal() -> Process:
        fal = Process(["fal-emulator", "--port", str(fal_port), "--sync-port", "0"], f"failover-fal-{time.time_ns()}")
        wait_for(f"http://127.0.0.1:{fal_port}/_emulator/stats")
        return fal

    fal = start_fal()
    ark, ark_stats = ark_factory()
    port, metrics_port = free_port(), free_port()
    data = str(tmp_path / "data")
    env = {**os.environ, "FAL_KEY": "fal-e2e", "IMAGEGATE_FAL_URL": f"http://127.0.0.1:{fal_port}",
           "ARK_API_KEY": "ark-e2e", "IMAGEGATE_ARK_URL": ark}
    server = Process(["serve", "--port", str(port), "--data-dir", data, "--catalog", EXAMPLE, "--metrics-port", str(metrics_port),
                      "--breaker-cooldown", "10s", "--admin-token", ADMIN], "failover-serve", env=env)
    base, metrics = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
    admin = {"Authorization": f"Bearer {ADMIN}"}
    try:
        wait_for(f"{base}/health")
        key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", server.output()).group(1)
        output = server.output()
        assert "route sells below cost" in output, "both routes bill $0.035 for a $0.014 image: said at start"

        # fal first, as the catalog orders it.
        first = generate(base, key, "a lighthouse before the outage")
        assert first["provider"] == "fal", first
        assert attempts(base, key, first["generation_id"]) == [{"provider": "fal", "outcome": "completed"}]
        assert breaker_state(metrics, "fal") == 0

        # fal goes down mid-run: every generation still completes, on Ark.
        fal.stop()
        with ThreadPoolExecutor(3) as pool:
            during = list(pool.map(lambda i: generate(base, key, f"a lighthouse in the outage {i}"), range(6)))
        # Six attempts on fal failed: its breaker is open, so these go straight to Ark.
        during += [generate(base, key, f"a lighthouse later in the outage {i}") for i in range(4)]
        assert all(g["status"] == "completed" and g["provider"] == "ark" for g in during), during
        moved = [attempts(base, key, g["generation_id"]) for g in during]
        assert all(a[-1] == {"provider": "ark", "outcome": "completed"} for a in moved), moved
        assert any(a[0] == {"provider": "fal", "outcome": "not_started"} for a in moved), "the first ones tried fal"
        assert breaker_state(metrics, "fal") == 2, "fal's breaker opened"
        routes = requests.get(f"{base}/admin/v1/routes", headers=admin, timeout=10).json()["data"]
        fal_route = next(r for r in routes if r["route"] == "fal")
        assert fal_route["breaker"] == "open" and fal_route["below_cost"] and fal_route["order"] == 1, routes
        assert all(len(a) == 1 for a in moved[6:]), f"once open, generations go straight to Ark: {moved}"

        # Flapping: after the cooldown one probe goes to fal (half-open); fal is still down, so it fails over and the
        # breaker opens again.
        time.sleep(10.5)
        probe = generate(base, key, "a lighthouse probing the outage")
        assert [(a["provider"], a["outcome"]) for a in attempts(base, key, probe["generation_id"])] == [
            ("fal", "not_started"), ("ark", "completed")]
        assert breaker_state(metrics, "fal") == 2, "open again after the failed probe"
        during.append(probe)

        # fal returns; after the cooldown one probe goes to it and closes the breaker.
        fal = start_fal()
        time.sleep(10.5)
        after = generate(base, key, "a lighthouse after the outage")
        assert after["provider"] == "fal", after
        assert breaker_state(metrics, "fal") == 0, "closed again"

        # Each generation was accepted by one supplier, once.
        fal_accepted = requests.get(f"http://127.0.0.1:{fal_port}/_emulator/stats", timeout=5).json()["accepted"]
        assert fal_accepted == 1, "the restarted emulator saw the probe only"
        assert ark_stats()["accepted"] == 11 and ark_stats()["imagesBilled"] == 11

        # The margin report shows both routes: revenue at the page's price, cost at each route's.
        margin = requests.get(f"{base}/admin/v1/margin?by=route", headers=admin, timeout=10).json()["data"]
        by_route = {row["route"]: row for row in margin if row["model"] == MODEL}
        assert by_route["fal"]["images"] == 2 and by_route["ark"]["images"] == 11, margin
        assert micros(by_route["ark"]["revenue_usd"]) == 11 * 14_000
        assert micros(by_route["ark"]["upstream_cost_usd"]) == 11 * 35_000
        assert by_route["ark"]["margin_pct"] == -150.0, margin
        account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
        assert 10_000_000 - micros(account["balance_usd"]) == 13 * 14_000 and micros(account["held_usd"]) == 0, account
    finally:
        server.stop()
        fal.stop()
    usage = subprocess.run([BINARY, "usage", "--data-dir", data], capture_output=True, text=True, timeout=60)
    assert usage.returncode == 0 and re.search(r"seedream-5-lite\s+ark\s+11\b", usage.stdout), usage.stdout + usage.stderr
    clean = subprocess.run([BINARY, "audit", "--blobs", "--data-dir", data], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr


def table_catalog(tmp_path, first: str, changes: dict) -> str:
    """examples/failover.json with `first` ("ark" or "fal") as the first route, `changes` set on that route."""
    with open(EXAMPLE) as f:
        catalog = json.load(f)
    routes = catalog["models"][0]["routes"]
    if routes[0]["provider"] != first:
        routes.reverse()
    routes[0].update(changes)
    path = tmp_path / f"{first}-first.json"
    path.write_text(json.dumps(catalog))
    return str(path)


# The failover table: which route is first and what it does (emulator options, catalog changes to that route), what
# the generation then shows, and whether the second route was asked at all.
TABLE = [
    # Rate limited past its retries: Ark never started the work, so fal takes it.
    ("ark", ["--rate-limit-first", "100", "--retry-after", "0"], {}, [("ark", "not_started"), ("fal", "completed")], "completed"),
    # The key refused: the route is unusable (its breaker opens), fal takes it.
    ("ark", ["--key", "the-right-key"], {}, [("ark", "route_unusable"), ("fal", "completed")], "completed"),
    # Ark overloaded (429 ServerOverloaded, past its retries): not started, fal takes it.
    ("ark", ["--fail-rate", "1", "--fail-type", "overloaded"], {}, [("ark", "not_started"), ("fal", "completed")], "completed"),
    # A content-policy refusal is final: refunded, the reason shown, fal never asked.
    ("ark", ["--fail-rate", "1", "--fail-type", "content_policy"], {}, [("ark", "content_policy_violation")], "failed"),
    # Invalid input is final too.
    ("ark", ["--fail-rate", "1", "--fail-type", "invalid_parameter"], {}, [("ark", "generation_failed")], "failed"),
    # A lost answer after the work ran: never resent elsewhere (it may be billed), refunded, the bill recorded.
    ("ark", ["--lost-answer-rate", "1"], {}, [("ark", "generation_failed")], "failed"),
    # The same on a route that opted in to resending: fal makes the image, Ark's possible bill is on the books.
    ("ark", ["--lost-answer-rate", "1"], {"resend_after_unknown": True}, [("ark", "outcome_unknown"), ("fal", "completed")], "completed"),
    # fal slow to start past the route's queue timeout: cancelled there (confirmed), then Ark makes it.
    ("fal", ["--queue-latency", "60s"], {"queue_timeout_s": 1}, [("fal", "not_started"), ("ark", "completed")], "completed"),
    # fal's runner went away (its 5xx end bills nothing): Ark makes it.
    ("fal", ["--fail-rate", "1", "--fail-type", "runner_disconnected"], {}, [("fal", "supplier_failed"), ("ark", "completed")], "completed"),
    # fal's content-policy refusal is final.
    ("fal", ["--fail-rate", "1", "--fail-type", "content_policy"], {}, [("fal", "content_policy_violation")], "failed"),
]


@pytest.mark.parametrize("first,primary_options,changes,expected,status", TABLE, ids=[
    "rate-limited", "key-refused", "overloaded", "content-policy", "invalid-input", "answer-lost", "answer-lost-resent",
    "queue-timeout", "runner-disconnected", "fal-content-policy"])
def test_the_failover_table(server_factory, ark_factory, emulator_factory, tmp_path, first, primary_options, changes, expected, status):
    ark, ark_stats = ark_factory(*(primary_options if first == "ark" else []))
    fal = emulator_factory(*(primary_options if first == "fal" else []))
    base, key, server = server_factory("--catalog", table_catalog(tmp_path, first, changes), "--admin-token", ADMIN, env={
        "ARK_API_KEY": "ark-e2e", "IMAGEGATE_ARK_URL": ark, "FAL_KEY": "fal-e2e", "IMAGEGATE_FAL_URL": fal})
    answer = requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=180,
                           json={"model": MODEL, "prompt": "a lighthouse in the failover table", "aspect_ratio": "1:1"})
    body = answer.json()
    assert body["status"] == status, body
    shown = [(a["provider"], a["outcome"]) for a in attempts(base, key, body["generation_id"])]
    assert shown == expected, shown
    # The operator sees every attempt in full; their bills add up to the generation's upstream cost.
    books = requests.get(f"{base}/admin/v1/generations/{body['generation_id']}", headers={"Authorization": f"Bearer {ADMIN}"},
                         timeout=10).json()
    assert [(a["provider"], a["outcome"]) for a in books["attempts"]][:-1] == expected[:-1], books
    assert micros(books["upstream_cost_usd"]) == sum(micros(a["upstream_cost_usd"]) for a in books["attempts"]), books
    assert all(a["ended_at"] and a["started_at"] for a in books["attempts"]), books
    if status == "completed":
        assert books["attempts"][-1]["upstream_request_id"] or first == "fal", "the supplier's request id is kept"
    fal_stats = requests.get(f"{fal}/_emulator/stats", timeout=5).json()
    second_accepted = ark_stats()["accepted"] if first == "fal" else fal_stats["accepted"]
    assert second_accepted == (1 if status == "completed" else 0), "the second route was asked only after a failover"
    if changes.get("queue_timeout_s"):
        assert fal_stats["accepted"] == 1 and fal_stats["cancelled"] == 1, fal_stats
    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    charged = 14_000 if status == "completed" else 0
    assert 10_000_000 - micros(account["balance_usd"]) == charged and micros(account["held_usd"]) == 0, account
    if status == "completed":
        # The breaker of a refused key opened: the next generation goes straight to fal.
        if expected[0][1] == "route_unusable":
            again = generate(base, key, "a second lighthouse")
            assert [a["provider"] for a in attempts(base, key, again["generation_id"])] == ["fal"]
    server.stop()
    clean = subprocess.run([BINARY, "audit", "--data-dir", server.data_dir], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr
    if expected[0][1] == "outcome_unknown":
        # Both bills on the books: Ark's possible one for the lost answer, fal's for the image.
        shown = subprocess.run([BINARY, "generations", "show", body["generation_id"], "--data-dir", server.data_dir],
                               capture_output=True, text=True, timeout=60)
        assert shown.returncode == 0, shown.stderr
        assert re.search(r"ark\s.*outcome_unknown.*0\.035", shown.stdout) and re.search(r"fal\s.*completed.*0\.035", shown.stdout), shown.stdout


def test_when_every_route_is_open_the_least_recently_failed_one_is_still_tried(server_factory, ark_factory, emulator_factory, tmp_path):
    """Both suppliers refuse ImageGate's key: the first generation opens both breakers; the next is not refused
    outright but tried on the route that failed longest ago (fal), and refunded when it fails again."""
    ark, ark_stats = ark_factory("--key", "not-ours")
    fal = emulator_factory("--key", "not-ours")
    metrics_port = free_port()
    base, key, server = server_factory("--catalog", table_catalog(tmp_path, "fal", {}), "--metrics-port", str(metrics_port), env={
        "ARK_API_KEY": "ark-e2e", "IMAGEGATE_ARK_URL": ark, "FAL_KEY": "fal-e2e", "IMAGEGATE_FAL_URL": fal})
    metrics = f"http://127.0.0.1:{metrics_port}/metrics"

    def generate_failing(prompt: str) -> list:
        answer = requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=180,
                               json={"model": MODEL, "prompt": prompt, "aspect_ratio": "1:1"})
        body = answer.json()
        assert body["status"] == "failed", body
        return [(a["provider"], a["outcome"]) for a in attempts(base, key, body["generation_id"])]

    assert generate_failing("a lighthouse nobody serves") == [("fal", "route_unusable"), ("ark", "generation_failed")]
    assert breaker_state(metrics, "fal") == 2 and breaker_state(metrics, "ark") == 2, "both open"
    assert generate_failing("a lighthouse tried anyway") == [("fal", "generation_failed")], "the least recently failed route"
    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert micros(account["balance_usd"]) == 10_000_000 and micros(account["held_usd"]) == 0, "both refunded"
    server.stop()
    clean = subprocess.run([BINARY, "audit", "--data-dir", server.data_dir], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr
