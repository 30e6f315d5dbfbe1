"""A/B of two ImageGate binaries on the same machine, in turns (A, B, A, B, …), against one fal emulator at 0 ms:
B1 (c=64) with the CPU per image of ImageGate's processes and of PostgreSQL's, then B2 at a fixed rate, and the books'
audit after each front. One run of `bench/run.sh` compares ImageGate with others; this compares two builds of it,
whose difference is often smaller than the drift of a shared machine between two runs.

    bench/.venv/bin/python bench/ab.py OLD_BINARY NEW_BINARY [--replicas N] [--rounds R] [--rate PER_SECOND]

`--replicas 0` (the default) is the SQLite process; N > 0 is N replicas on PostgreSQL behind nginx (`scripts/cluster`).
Raw output goes to bench/out/<stamp>/, as for the other benchmarks.
"""

import argparse
import os

import bench
import replicas
from bench import free_port, log, start, stop, wait_for


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", help="the first binary (the baseline)")
    parser.add_argument("b", help="the second binary")
    parser.add_argument("--replicas", type=int, default=0, help="0: SQLite; N: N replicas on PostgreSQL")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rate", type=float, default=45.0, help="B2's requests per second, the same for both")
    args = parser.parse_args()
    binaries = {"A": os.path.abspath(args.a), "B": os.path.abspath(args.b)}
    os.makedirs(bench.OUT, exist_ok=True)
    log(f"raw output: {bench.OUT}")
    queue_port = free_port()
    emulator = start("ab-emulator", [binaries["A"], "fal-emulator", "--port", str(queue_port), "--sync-port", "0", "--latency", "0"])
    wait_for(f"http://127.0.0.1:{queue_port}/_emulator/stats")
    fal = f"http://127.0.0.1:{queue_port}"
    try:
        for round_ in range(args.rounds):
            for name, path in binaries.items():
                # Both modules start ImageGate from their BIN, so the front runs this turn's binary.
                bench.BIN = replicas.BIN = path
                front = replicas.Front(f"ab-{name}-{round_}", fal, args.replicas)
                try:
                    r = replicas.measure(front, args.rate)
                    front.stop_imagegate()
                    log(
                        f"{name} round {round_}: B1 {r['b1']['rps']:.1f} images/s, p99 {r['b1']['p99_us'] / 1000:.0f} ms; "
                        f"CPU per image ImageGate {r['ig_cpu_ms']:.2f} ms + PostgreSQL {r['pg_cpu_ms']:.2f} ms; "
                        f"B2 p50 {r['b2']['p50_us'] / 1000:.1f} ms, p99 {r['b2']['p99_us'] / 1000:.1f} ms; "
                        f"audit {'clean' if front.audit_clean() else 'NOT CLEAN'}"
                    )
                finally:
                    front.close()
    finally:
        stop(emulator)


if __name__ == "__main__":
    bench.run(main)
