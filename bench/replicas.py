"""B1 and B2 on PostgreSQL with 1 and 3 replicas behind nginx (`scripts/cluster`), next to the SQLite single process,
in the same run against the same fal emulator at 0 ms, with the server CPU each generation costs (from /proc: user +
system time of the ImageGate processes, and of PostgreSQL's, over B1, divided by the images B1 delivered).

Run by `bench/run.sh replicas` after the release build; writes its table into docs/benchmarks.md.
"""

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import requests

from bench import (BIN, BODY_IMAGEGATE, DURATION, OUT, ROOT, free_port, log, machine, run, start, stop,
                   wait_for, write_section, wrk)
from free_ports import free_consecutive_ports  # on the path bench set

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes and their descendants, in seconds."""
    total, todo, seen = 0, list(pids), set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / TICKS


def postgres_pids() -> list[int]:
    result = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True)
    return [int(pid) for pid in result.stdout.split()]


class Front:
    """ImageGate as a client sees it: one SQLite process, or a cluster of replicas on PostgreSQL behind nginx."""

    def __init__(self, name: str, fal: str, replicas: int):
        self.name = name
        self.cluster_dir = None
        serve = ["--provider", "fal", "--fal-queue-url", fal, "--fal-key", "bench", "--workers", "1024", "--log-level", "error",
                 "--sync-timeout", "120s"]
        if replicas == 0:
            self.port = free_port()
            self.data = os.path.join(OUT, f"{name}-data")
            self.process = start(f"{name}-imagegate", [BIN, "serve", "--port", str(self.port), "--data-dir", self.data, *serve])
            wait_for(f"http://127.0.0.1:{self.port}/health")
            with open(os.path.join(OUT, f"{name}-imagegate.log")) as f:
                self.key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", f.read()).group(1)
            self.database = []
            self.pids = lambda: [self.process.pid]
        else:
            self.port = free_consecutive_ports(replicas + 1)
            self.cluster_dir = tempfile.mkdtemp(prefix=f"{name}-", dir=OUT)
            self.env = {**os.environ, "IMAGEGATE_BIN": BIN, "IMAGEGATE_CLUSTER_DIR": self.cluster_dir,
                        "IMAGEGATE_CLUSTER_PORT": str(self.port), "IMAGEGATE_CLUSTER_PG_PORT": str(free_port())}
            up = subprocess.run([os.path.join(ROOT, "scripts", "cluster"), "up", str(replicas), "--", *serve], env=self.env,
                                capture_output=True, text=True)
            if up.returncode != 0:
                raise RuntimeError(up.stdout + up.stderr)
            self.key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", up.stdout).group(1)
            database = re.search(r"IMAGEGATE_DATABASE='([^']+)'", up.stdout).group(1)
            self.data = os.path.join(self.cluster_dir, "data")
            self.database = ["--database", database]

            def replica_pids():
                pids = []
                for name_ in os.listdir(self.cluster_dir):
                    if name_.startswith("replica-") and name_.endswith(".pid"):
                        with open(os.path.join(self.cluster_dir, name_)) as f:
                            pids.append(int(f.read()))
                return pids
            self.pids = replica_pids
        subprocess.run([BIN, "credits", "add", "--account", "default", "--usd", "1000000", "--data-dir", self.data, *self.database],
                       check=True, capture_output=True)
        requests.post(self.url, data=BODY_IMAGEGATE, timeout=120,
                      headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}).raise_for_status()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/v1/images/generations"

    def audit_clean(self) -> bool:
        audit = subprocess.run([BIN, "audit", "--data-dir", self.data, *self.database], capture_output=True, text=True)
        return audit.returncode == 0 and "audit: clean" in audit.stdout

    def stop_imagegate(self):
        """Stops ImageGate (every replica) and lets it finish, so the books are read at rest; PostgreSQL stays up."""
        if not self.cluster_dir:
            stop(self.process)
            return
        pids = self.pids()
        for pid in pids:
            os.kill(pid, signal.SIGTERM)
        for pid in pids:
            while os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read():
                time.sleep(0.1)

    def close(self):
        if self.cluster_dir:
            subprocess.run([os.path.join(ROOT, "scripts", "cluster"), "down"], env=self.env, capture_output=True)


def measure(front: Front, rate: float | None) -> dict:
    log(f"{front.name}: B1 (c=64, {DURATION} s)")
    before_ig, before_pg = cpu_seconds(front.pids()), cpu_seconds(postgres_pids())
    b1 = wrk(front.url, f"{front.name}-b1", body=BODY_IMAGEGATE, key=front.key)
    after_ig, after_pg = cpu_seconds(front.pids()), cpu_seconds(postgres_pids())
    images = max(1, b1["ok"])
    result = {"b1": b1, "ig_cpu_ms": (after_ig - before_ig) * 1000 / images, "pg_cpu_ms": (after_pg - before_pg) * 1000 / images}
    rate = rate or max(1.0, b1["rps"] / 2)
    connections = 16
    log(f"{front.name}: B2 at {rate:.0f}/s")
    result["b2"] = wrk(front.url, f"{front.name}-b2", connections=connections, body=BODY_IMAGEGATE, key=front.key,
                       delay_ms=int(connections * 1000 / rate))
    result["rate"] = rate
    return result


def main():
    os.makedirs(OUT, exist_ok=True)
    log(f"raw output: {OUT}")
    queue_port = free_port()
    emulator = start("replicas-emulator", [BIN, "fal-emulator", "--port", str(queue_port), "--sync-port", "0", "--latency", "0"])
    wait_for(f"http://127.0.0.1:{queue_port}/_emulator/stats")
    fal = f"http://127.0.0.1:{queue_port}"
    results, rate = {}, None
    try:
        for name, replicas in (("sqlite-1", 0), ("postgres-1", 1), ("postgres-3", 3)):
            front = Front(name, fal, replicas)
            try:
                results[name] = measure(front, rate)
                rate = rate or results[name]["rate"]  # B2 at the same rate for every front: half SQLite's B1
                front.stop_imagegate()
                results[name]["audit_clean"] = front.audit_clean()
            finally:
                front.close()
    finally:
        stop(emulator)
    with open(os.path.join(OUT, "replicas.json"), "w") as f:
        json.dump(results, f, indent=2)
    table = render(results)
    print(table)
    write_docs(table)
    sys.exit(0 if all(r["audit_clean"] for r in results.values()) else 1)


def render(results: dict) -> str:
    base = results["sqlite-1"]
    lines = [
        f"Run {datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')} on {machine()}; command "
        f"`bench/run.sh replicas` (BENCH_DURATION={DURATION}). Emulator at 0 ms; B1 on the OpenAI route, c=64; B2 at "
        f"{base['rate']:.0f}/s for every front (half the SQLite process's B1). CPU per image: user + system time over B1 "
        "divided by the images B1 delivered.",
        "",
        "| front | B1 images/s | B1 p50 / p99 | B2 p50 / p99 | ImageGate CPU / image | PostgreSQL CPU / image | vs SQLite CPU | audit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        b1, b2 = r["b1"], r["b2"]
        lines.append(
            f"| {name} | {b1['rps']:.1f} | {b1['p50_us'] / 1000:.1f} / {b1['p99_us'] / 1000:.1f} ms | "
            f"{b2['p50_us'] / 1000:.1f} / {b2['p99_us'] / 1000:.1f} ms | {r['ig_cpu_ms']:.2f} ms | {r['pg_cpu_ms']:.2f} ms | "
            f"{(r['ig_cpu_ms'] + r['pg_cpu_ms']) / base['ig_cpu_ms']:.2f}× | {'clean' if r['audit_clean'] else 'NOT CLEAN'} |"
        )
    return "\n".join(lines)


def write_docs(table: str):
    write_section("replicas-run", "Replicas on PostgreSQL (latest run)", table)


if __name__ == "__main__":
    run(main)
