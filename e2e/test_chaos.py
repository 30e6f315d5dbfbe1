"""Chaos: 1,000 generations through the fal emulator with 30% failed runs, 5% dropped outputs, slow submits, status
polls answered 500, downloads answered 503 and submits accepted then answered 504 (as by a proxy), while the server is
stopped three times and restarted: twice with SIGKILL, once with SIGTERM as a rolling deploy does (submits in flight
then finish and their handles are saved before it exits). Every generation must end, the books must balance, the final
balance must be the credit minus the delivered images at $0.014 to the micro-dollar, and fal must never have been sent
one generation twice: what it accepted is what ImageGate knows it sent, plus what may have reached it unanswered.
"""

import sqlite3
import subprocess
import time

import requests

from conftest import BINARY, Process, assert_books_balance, free_port, submit_all_during, wait_for, wait_for_all_to_end

TOTAL = 1000
PRICE_MICROS = 14_000


def test_chaos_books_balance_after_kills(emulator_factory, tmp_path):
    fal = emulator_factory("--latency", "150ms", "--submit-latency", "20ms", "--fail-rate", "0.3", "--drop-output-rate", "0.05",
                           "--status-error-rate", "0.1", "--download-error-rate", "0.05", "--lost-submit-rate", "0.03")
    data = str(tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--port", str(port), "--data-dir", data, "--provider", "fal", "--fal-queue-url", fal, "--fal-key", "chaos",
            "--workers", "32", "--log-level", "warning", "--lease", "5s"]

    state = {"server": Process(args, "chaos-0"), "graceful_exit": None}
    wait_for(f"{base}/health")
    key = state["server"].output().split("IMAGEGATE_API_KEY=")[1].split()[0]
    # $10 opening credit + $20 more: enough for all 1,500 images asked for ($21).
    subprocess.run([BINARY, "credits", "add", "--account", "default", "--usd", "20", "--data-dir", data], check=True, capture_output=True)
    credit_micros = 30_000_000

    def killer(submitted):
        for kill in range(1, 4):
            while submitted() < kill * TOTAL // 4:
                time.sleep(0.05)
            if kill == 2:
                state["server"].proc.terminate()  # SIGTERM: a graceful shutdown, mid-run
                state["graceful_exit"] = state["server"].proc.wait(timeout=120)
            else:
                state["server"].proc.kill()  # SIGKILL: no graceful shutdown
                state["server"].proc.wait()
            state["server"].log.close()
            state["server"] = Process(args, f"chaos-{kill}")
            wait_for(f"{base}/health")

    submit_all_during(base, key, "chaos", TOTAL, killer)
    assert state["graceful_exit"] == 0, "the SIGTERM'd server exited by itself, cleanly"
    final = wait_for_all_to_end(base, key, TOTAL)
    assert_books_balance(base, key, final, credit_micros, PRICE_MICROS)

    state["server"].stop()
    # --blobs: every charged image is still in the store, too.
    audit = subprocess.run([BINARY, "audit", "--blobs", "--data-dir", data], capture_output=True, text=True)
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
