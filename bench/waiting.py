"""B3b: memory per waiting request. 10,000 generations submitted at once (`Prefer: respond-async`) wait on a fal
emulator that takes 30 s, while 2,000 clients watch 2,000 of them over SSE (`GET /v1/generations/{id}/events`), all
on one ImageGate process. Reported: the process's peak RSS over its RSS before the first submission, divided by the
10,000 generations; how long the submissions took (they must all be waiting at once, so well under 30 s); errors
(a submission not answered 202, a stream that did not end on `completed`, a generation not completed); then the
books are audited. Run by bench.py after B3 (`bench/run.sh`, or `bench/run.sh waiting` alone).
"""

import asyncio
import json
import os
import sqlite3
import subprocess
import threading
import time

import aiohttp

from bench import BIN, OUT, books_of, free_port, log, peak_rss_during, run, start, stop, wait_for

GENERATIONS = int(os.environ.get("BENCH_WAITING", "10000"))
WATCHERS = int(os.environ.get("BENCH_WATCHERS", "2000"))
UPSTREAM_SECONDS = 30
SUBMITTERS = 200  # concurrent submissions: enough to have every generation waiting within a few seconds
BODY = {"model": "seedream-5-lite", "prompt": "waiting", "size": "2K", "output_format": "jpeg"}


async def submit_all(base: str, key: str) -> tuple[list[str], int, float]:
    ids: list[str] = []
    errors = 0
    remaining = iter(range(GENERATIONS))
    started = time.time()
    headers = {"Authorization": f"Bearer {key}", "Prefer": "respond-async"}
    connector = aiohttp.TCPConnector(limit=SUBMITTERS)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=120)) as session:

        async def submitter():
            nonlocal errors
            for _ in remaining:
                try:
                    async with session.post(f"{base}/v1/generate", json=BODY, headers=headers) as response:
                        body = await response.json()
                        if response.status == 202:
                            ids.append(body["generation_id"])
                        else:
                            errors += 1
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    errors += 1

        await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
    return ids, errors, time.time() - started


async def watch_all(base: str, key: str, ids: list[str]) -> int:
    """Watches each generation over SSE until its stream ends; returns the streams that did not end on `completed`."""
    failures = 0
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=UPSTREAM_SECONDS * 4)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def watch(generation_id: str):
            nonlocal failures
            last_event = None
            try:
                async with session.get(f"{base}/v1/generations/{generation_id}/events",
                                       headers={"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}) as response:
                    async for line in response.content:
                        if line.startswith(b"event:"):
                            last_event = line.split(b":", 1)[1].strip().decode()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if last_event != "completed":
                failures += 1

        await asyncio.gather(*(watch(i) for i in ids))
    return failures


async def load(base: str, key: str) -> dict:
    ids, submit_errors, submit_seconds = await submit_all(base, key)
    log(f"  {len(ids)} submitted in {submit_seconds:.1f} s ({submit_errors} refused); {WATCHERS} watchers")
    stream_failures = await watch_all(base, key, ids[:WATCHERS])
    return {"ids": ids, "submit_errors": submit_errors, "submit_seconds": submit_seconds, "stream_failures": stream_failures}


def count(data: str, statuses: str) -> int:
    db = sqlite3.connect(os.path.join(data, "imagegate.sqlite"), timeout=30)
    try:
        return db.execute(f"SELECT COUNT(*) FROM generations WHERE status IN ({statuses})").fetchone()[0]
    finally:
        db.close()


def count_completed(data: str) -> int:
    return count(data, "'completed'")


class MostWaiting:
    """Samples how many generations are waiting (queued or processing) once a second; keeps the most seen."""

    def __init__(self, data: str):
        self.data, self.most, self.done = data, 0, threading.Event()
        self.thread = threading.Thread(target=self.sample)

    def sample(self):
        while not self.done.wait(1):
            try:
                self.most = max(self.most, count(self.data, "'queued', 'processing'"))
            except sqlite3.Error:
                pass

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        self.thread.join()


def b3b() -> dict:
    queue_port = free_port()
    emulator = start("waiting-emulator", [BIN, "fal-emulator", "--port", str(queue_port), "--sync-port", "0", "--latency", f"{UPSTREAM_SECONDS}s"])
    wait_for(f"http://127.0.0.1:{queue_port}/_emulator/stats")
    data = os.path.join(OUT, "waiting-data")
    port = free_port()
    imagegate = start(
        "waiting-imagegate",
        [BIN, "serve", "--port", str(port), "--data-dir", data, "--provider", "fal", "--fal-queue-url", f"http://127.0.0.1:{queue_port}",
         "--fal-key", "bench", "--workers", str(GENERATIONS), "--max-queued", "0", "--log-level", "error"],
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health")
        with open(os.path.join(OUT, "waiting-imagegate.log")) as f:
            key = f.read().split("IMAGEGATE_API_KEY=", 1)[1].split()[0]
        subprocess.run([BIN, "credits", "add", "--account", "default", "--usd", "1000000", "--data-dir", data], check=True, capture_output=True)
        time.sleep(2)
        with open(f"/proc/{imagegate.pid}/status") as f:
            idle_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        with MostWaiting(data) as waiting_at_once:
            peak_kb, result = peak_rss_during(imagegate.pid, lambda: asyncio.run(load(base, key)))
        # Every generation ends within the upstream's 30 s after the last submission; wait for the rest.
        deadline = time.time() + UPSTREAM_SECONDS * 3
        while time.time() < deadline and count_completed(data) < len(result["ids"]):
            time.sleep(1)
        completed = count_completed(data)
    finally:
        stop(imagegate)
        stop(emulator)
    waiting = len(result["ids"])
    out = {
        "generations": GENERATIONS,
        "watchers": WATCHERS,
        "idle_rss_mb": idle_kb / 1024,
        "peak_rss_mb": peak_kb / 1024,
        "kb_per_waiting": (peak_kb - idle_kb) / max(waiting, 1),
        # Submissions are slower than the upstream when the machine is busy polling: then fewer than all wait at once.
        "most_waiting_at_once": waiting_at_once.most,
        "kb_per_waiting_at_once": (peak_kb - idle_kb) / max(waiting_at_once.most, 1),
        "submit_seconds": result["submit_seconds"],
        "errors": result["submit_errors"] + result["stream_failures"] + (waiting - completed),
        "submit_errors": result["submit_errors"],
        "stream_failures": result["stream_failures"],
        "not_completed": waiting - completed,
        "books": books_of(data),
    }
    log(f"  B3b: idle {out['idle_rss_mb']:.0f} MB, peak {out['peak_rss_mb']:.0f} MB, {out['kb_per_waiting']:.1f} KB per waiting generation, "
        f"{out['most_waiting_at_once']} waiting at once ({out['kb_per_waiting_at_once']:.1f} KB each), errors {out['errors']}, audit {'clean' if out['books']['audit_clean'] else 'NOT CLEAN'}")
    with open(os.path.join(OUT, "waiting.json"), "w") as f:
        json.dump(out, f, indent=2)
    return out


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    run(b3b)
