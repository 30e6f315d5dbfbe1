"""Chaos: 1,000 generations through the fal emulator with 30% failed runs, 5% dropped outputs, status polls answered
500, downloads answered 503 and submits accepted then answered 504 (as by a proxy), while the server is killed with
SIGKILL three times and restarted. Every generation must end, the books must balance, the final balance must be the
credit minus the delivered images at $0.014 to the micro-dollar, and fal must never have been sent one generation
twice: what it accepted is what ImageGate knows it sent, plus what may have reached it unanswered.
"""

import concurrent.futures
import sqlite3
import subprocess
import threading
import time
import uuid

import requests

from conftest import BINARY, Process, free_port, wait_for

TOTAL = 1000
PRICE_MICROS = 14_000


def micros(amount) -> int:
    return round(float(amount) * 1_000_000)


def test_chaos_books_balance_after_kills(emulator_factory, tmp_path):
    fal = emulator_factory("--latency", "150ms", "--fail-rate", "0.3", "--drop-output-rate", "0.05", "--status-error-rate", "0.1",
                           "--download-error-rate", "0.05", "--lost-submit-rate", "0.03")
    data = str(tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--port", str(port), "--data-dir", data, "--provider", "fal", "--fal-queue-url", fal, "--fal-key", "chaos",
            "--workers", "32", "--log-level", "warning", "--lease", "5s"]

    state = {"server": Process(args, "chaos-0")}
    wait_for(f"{base}/health")
    key = state["server"].output().split("IMAGEGATE_API_KEY=")[1].split()[0]
    # $10 opening credit + $20 more: enough for all 1,500 images asked for ($21).
    subprocess.run([BINARY, "credits", "add", "--account", "default", "--usd", "20", "--data-dir", data], check=True, capture_output=True)
    credit_micros = 30_000_000

    headers = {"Authorization": f"Bearer {key}", "Prefer": "respond-async"}
    lock = threading.Lock()
    ids: dict[str, str] = {}

    def submit(index: int):
        idem = str(uuid.uuid4())
        body = {"model": "seedream-5-lite", "prompt": f"chaos {index}", "aspect_ratio": "1:1", "output_format": "jpeg",
                "num_images": 1 + index % 2}
        for _ in range(300):
            try:
                response = requests.post(f"{base}/v1/generate", json=body, headers={**headers, "Idempotency-Key": idem}, timeout=10)
            except requests.RequestException:
                time.sleep(0.1)  # the server is down: retry with the same Idempotency-Key
                continue
            assert response.status_code == 202, response.text
            with lock:
                ids[idem] = response.json()["generation_id"]
            return
        raise AssertionError(f"request {index} never got through")

    def killer():
        for kill in range(1, 4):
            while len(ids) < kill * TOTAL // 4:
                time.sleep(0.05)
            state["server"].proc.kill()  # SIGKILL: no graceful shutdown
            state["server"].proc.wait()
            state["server"].log.close()
            state["server"] = Process(args, f"chaos-{kill}")
            wait_for(f"{base}/health")

    chaos = threading.Thread(target=killer)
    chaos.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(submit, range(TOTAL)))
    chaos.join()
    assert len(set(ids.values())) == TOTAL, "one generation per Idempotency-Key"

    # Every generation ends.
    deadline = time.time() + 600
    final: dict[str, dict] = {}
    while time.time() < deadline and len(final) < TOTAL:
        page, after = [], None
        while True:
            url = f"{base}/v1/generations?limit=100" + (f"&after={after}" if after else "")
            listing = requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
            page.extend(listing["data"])
            if not listing["has_more"]:
                break
            after = listing["next_cursor"]
        final = {g["generation_id"]: g for g in page if g["status"] in ("completed", "failed")}
        time.sleep(0.5)
    assert len(final) == TOTAL, f"{TOTAL - len(final)} generations never ended"
    statuses = [g["status"] for g in final.values()]
    assert statuses.count("failed") > 0 and statuses.count("completed") > 0

    delivered = sum(len(g["images"]) for g in final.values())
    charged = sum(micros(g["cost_usd"]) for g in final.values())
    assert charged == delivered * PRICE_MICROS
    for g in final.values():
        assert micros(g["cost_usd"]) + micros(g["refunded_usd"]) == micros(g["estimated_cost_usd"])

    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert micros(account["balance_usd"]) == credit_micros - delivered * PRICE_MICROS
    assert micros(account["held_usd"]) == 0

    state["server"].stop()
    audit = subprocess.run([BINARY, "audit", "--data-dir", data], capture_output=True, text=True)
    print(audit.stdout)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "audit: clean" in audit.stdout

    # Exactly once upstream. Prompts are unique, so an accepted duplicate prompt would be a resubmission.
    stats = requests.get(f"{fal}/_emulator/stats", timeout=10).json()
    print(stats)
    assert stats["duplicatePrompts"] == 0, "fal was sent a generation twice"
    assert stats["submitsLost"] > 0 and stats["statusErrorsInjected"] > 0 and stats["downloadErrorsInjected"] > 0
    with sqlite3.connect(f"{data}/imagegate.sqlite") as db:
        known = db.execute("SELECT COUNT(*) FROM generations WHERE upstream_handle IS NOT NULL").fetchone()[0]
        unanswered = db.execute("SELECT COUNT(*) FROM generations WHERE upstream_submit_at IS NOT NULL AND upstream_handle IS NULL").fetchone()[0]
        unrecorded_loss = db.execute(
            "SELECT COUNT(*) FROM generations WHERE upstream_submit_at IS NOT NULL AND upstream_handle IS NULL AND upstream_cost_micros = 0"
        ).fetchone()[0]
    # Every accepted request is a generation ImageGate knows it sent, or one whose submit went unanswered (a lost 504,
    # or a kill between fal's answer and saving it): those were never sent again, and their possible cost is recorded.
    assert known + stats["submitsLost"] <= stats["accepted"] <= known + unanswered, (known, unanswered, stats)
    assert unrecorded_loss == 0
