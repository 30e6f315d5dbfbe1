"""ImageGate against LiteLLM's proxy on the same fake fal (imagegate fal-emulator), same machine, same run.

B1 throughput and latency at concurrency 64 · B2 added latency at a fixed rate · B3 peak RSS with 1,000 in flight ·
B4 serving a stored 2K PNG against nginx · B5 the local engine against the `vips` command. Then the books are checked.
Started by bench/run.sh, which installs and builds first.
"""

import datetime
import json
import os
import platform
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, ".build", "release", "imagegate")
LITELLM = os.path.join(ROOT, "bench", ".venv", "bin", "litellm")
# In the environment, so a benchmark module imported later (waiting.py imports this one again) writes to the same folder.
STAMP = os.environ.setdefault("BENCH_STAMP", datetime.datetime.now().strftime("%Y%m%d-%H%M%S"))
OUT = os.path.join(ROOT, "bench", "out", STAMP)
DURATION = int(os.environ.get("BENCH_DURATION", "30"))
CONCURRENCY = 64
CORES = os.cpu_count() or 2
BODY_IMAGEGATE = json.dumps({"model": "seedream-5-lite", "prompt": "benchmark", "n": 1, "size": "2048x2048", "output_format": "jpeg"})
BODY_LITELLM = json.dumps({"model": "seedream-5-lite", "prompt": "benchmark", "n": 1, "size": "2048x2048", "response_format": "url"})
PROCESSES: list[subprocess.Popen] = []

# scripts/free_ports.py (free_consecutive_ports) is one copy for scripts/test, e2e/ and the benchmarks.
sys.path.insert(0, os.path.join(ROOT, "scripts"))


def log(text: str):
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, args: list[str], env=None) -> subprocess.Popen:
    handle = open(os.path.join(OUT, f"{name}.log"), "w")
    proc = subprocess.Popen(args, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, start_new_session=True)
    PROCESSES.append(proc)
    return proc


def stop(proc: subprocess.Popen):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_for(url: str, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, name: str, connections=CONCURRENCY, duration=DURATION, body="", key="", delay_ms=0, timeout="30s", auth="") -> dict:
    env = {**os.environ, "BENCH_BODY": body, "BENCH_KEY": key, "BENCH_AUTH": auth, "BENCH_DELAY_MS": str(delay_ms)}
    threads = min(connections, 2)
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", timeout, "-s", os.path.join(ROOT, "bench", "wrk.lua"), url]
    result = subprocess.run(args, env=env, capture_output=True, text=True)
    with open(os.path.join(OUT, f"wrk-{name}.txt"), "w") as f:
        f.write(result.stdout + result.stderr)
    match = re.search(r"BENCH_JSON (\{.*\})", result.stdout)
    if not match:
        raise RuntimeError(f"wrk {name} failed: {result.stdout} {result.stderr}")
    data = json.loads(match.group(1))
    seconds = data["duration_us"] / 1e6
    data["ok"] = data["requests"] - data["non2xx"]
    data["rps"] = data["ok"] / seconds
    log(f"  {name}: {data['rps']:.1f} ok/s, p50 {data['p50_us'] / 1000:.1f} ms, p99 {data['p99_us'] / 1000:.1f} ms, errors {data['errors']}")
    return data


def tree_rss_kb(pid: int) -> int:
    """RSS of a process and all its descendants, in KiB."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            with open(f"/proc/{current}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{current}/task/{current}/children") as f:
                pids.extend(int(child) for child in f.read().split())
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def peak_rss_during(pid: int, action) -> tuple[int, object]:
    peak = tree_rss_kb(pid)
    import threading

    stop_flag = threading.Event()

    def sample():
        nonlocal peak
        while not stop_flag.is_set():
            peak = max(peak, tree_rss_kb(pid))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = action()
    finally:
        stop_flag.set()
        sampler.join()
    return peak, result


class Stack:
    """One fal emulator with an ImageGate and a LiteLLM proxy in front of it."""

    def __init__(self, name: str, latency: str):
        self.name = name
        self.queue_port, self.sync_port = free_port(), free_port()
        self.emulator = start(f"{name}-emulator", [BIN, "fal-emulator", "--port", str(self.queue_port), "--sync-port", str(self.sync_port), "--latency", latency])
        wait_for(f"http://127.0.0.1:{self.queue_port}/_emulator/stats")

        self.data = os.path.join(OUT, f"{name}-data")
        self.ig_port = free_port()
        self.imagegate = start(
            f"{name}-imagegate",
            [BIN, "serve", "--port", str(self.ig_port), "--data-dir", self.data, "--provider", "fal", "--fal-queue-url",
             f"http://127.0.0.1:{self.queue_port}", "--fal-key", "bench", "--workers", "1024", "--log-level", "error", "--sync-timeout", "120s"],
        )
        wait_for(f"http://127.0.0.1:{self.ig_port}/health")
        with open(os.path.join(OUT, f"{name}-imagegate.log")) as f:
            self.ig_key = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", f.read()).group(1)
        subprocess.run([BIN, "credits", "add", "--account", "default", "--usd", "1000000", "--data-dir", self.data], check=True, capture_output=True)

        self.ll_port = free_port()
        config = os.path.join(OUT, f"{name}-litellm.yaml")
        with open(config, "w") as f:
            f.write(
                "model_list:\n"
                "  - model_name: seedream-5-lite\n"
                "    litellm_params:\n"
                "      model: fal_ai/fal-ai/bytedance/seedream/v3/text-to-image\n"
                "      api_key: bench\n"
                f"      api_base: http://127.0.0.1:{self.sync_port}\n"
                "    model_info: {mode: image_generation, output_cost_per_image: 0.014}\n"
                "general_settings: {master_key: sk-bench}\n"
                "litellm_settings: {drop_params: true}\n"
            )
        self.litellm = start(
            f"{name}-litellm",
            [LITELLM, "--config", config, "--port", str(self.ll_port), "--num_workers", str(CORES)],
            env={"LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"},
        )
        wait_for(f"http://127.0.0.1:{self.ll_port}/health/liveliness", timeout=300)
        # One request each to warm up caches and imports.
        self.imagegate_generate()
        requests.post(self.ll_url, data=BODY_LITELLM, headers={"Authorization": "Bearer sk-bench", "Content-Type": "application/json"}, timeout=120).raise_for_status()

    @property
    def ig_url(self):
        return f"http://127.0.0.1:{self.ig_port}/v1/images/generations"

    @property
    def ll_url(self):
        return f"http://127.0.0.1:{self.ll_port}/v1/images/generations"

    def imagegate_generate(self, body=BODY_IMAGEGATE):
        response = requests.post(self.ig_url, data=body, headers={"Authorization": f"Bearer {self.ig_key}", "Content-Type": "application/json"}, timeout=120)
        response.raise_for_status()
        return response.json()

    def close(self):
        for proc in (self.imagegate, self.litellm, self.emulator):
            stop(proc)


def books(stack: Stack) -> dict:
    """Audit and the images charged against images delivered, on the stopped ImageGate's database."""
    return books_of(stack.data)


def books_of(data: str) -> dict:
    """`books` of the stopped ImageGate whose data directory is `data`."""
    audit = subprocess.run([BIN, "audit", "--data-dir", data], capture_output=True, text=True)
    db = sqlite3.connect(os.path.join(data, "imagegate.sqlite"))
    charged = db.execute("SELECT COALESCE(SUM(charged_micros / price_micros), 0) FROM generations").fetchone()[0]
    delivered = db.execute("SELECT COUNT(*) FROM outputs").fetchone()[0]
    db.close()
    return {"audit_clean": audit.returncode == 0, "audit": audit.stdout.strip(), "charged_images": charged, "delivered_images": delivered}


def main():
    os.makedirs(OUT, exist_ok=True)
    results: dict = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "duration_s": DURATION}
    results["machine"] = machine()
    log(f"raw output: {OUT}")

    log("B1/B2/B4: emulator at 0 ms")
    fast = Stack("fast", "0")
    try:
        log("B1 throughput, concurrency 64")
        results["b1_imagegate"] = wrk(fast.ig_url, "b1-imagegate", body=BODY_IMAGEGATE, key=fast.ig_key)
        results["b1_litellm"] = wrk(fast.ll_url, "b1-litellm", body=BODY_LITELLM, key="sk-bench")

        rate = max(1.0, results["b1_imagegate"]["rps"] / 2)
        connections = 16
        delay_ms = int(connections * 1000 / rate)
        log(f"B2 added latency at {rate:.0f} req/s ({connections} connections, {delay_ms} ms pause)")
        results["b2_rate"] = rate
        results["b2_emulator"] = wrk(f"http://127.0.0.1:{fast.sync_port}/fal-ai/bytedance/seedream/v3/text-to-image", "b2-emulator",
                                     connections=connections, body=json.dumps({"prompt": "benchmark", "image_size": {"width": 2048, "height": 2048}, "output_format": "jpeg"}),
                                     auth="Key bench", delay_ms=delay_ms)
        results["b2_imagegate"] = wrk(fast.ig_url, "b2-imagegate", connections=connections, body=BODY_IMAGEGATE, key=fast.ig_key, delay_ms=delay_ms)
        results["b2_litellm"] = wrk(fast.ll_url, "b2-litellm", connections=connections, body=BODY_LITELLM, key="sk-bench", delay_ms=delay_ms)

        log("B4 output delivery: a stored 2K PNG, ImageGate against nginx")
        native = requests.post(f"http://127.0.0.1:{fast.ig_port}/v1/generate",
                               json={"model": "seedream-5-lite", "prompt": "delivery", "aspect_ratio": "16:9", "size": "2K"},
                               headers={"Authorization": f"Bearer {fast.ig_key}"}, timeout=120).json()
        results["b4"] = b4(native["output_url"])
    finally:
        fast.close()
    results["books_fast"] = books(fast)

    log("B3 peak RSS, 1,000 generations in flight (emulator at 10 s)")
    slow = Stack("slow", "10s")
    try:
        peak_ig, run_ig = peak_rss_during(slow.imagegate.pid, lambda: wrk(slow.ig_url, "b3-imagegate", connections=1000, duration=15, body=BODY_IMAGEGATE, key=slow.ig_key, timeout="60s"))
        peak_ll, run_ll = peak_rss_during(slow.litellm.pid, lambda: wrk(slow.ll_url, "b3-litellm", connections=1000, duration=15, body=BODY_LITELLM, key="sk-bench", timeout="60s"))
        results["b3"] = {"imagegate_peak_rss_mb": peak_ig / 1024, "litellm_peak_rss_mb": peak_ll / 1024, "imagegate_run": run_ig, "litellm_run": run_ll}
        log(f"  ImageGate {peak_ig / 1024:.0f} MB, LiteLLM {peak_ll / 1024:.0f} MB")
        time.sleep(12)  # let the last generations end before the books are read
    finally:
        slow.close()
    results["books_slow"] = books(slow)

    log("B3b memory per waiting request: 10,000 generations on a 30 s upstream, 2,000 SSE watchers")
    import waiting  # here: it imports this module's helpers

    results["b3b"] = waiting.b3b()

    log("B5 local engine against libvips' own command")
    results["b5"] = b5()

    with open(os.path.join(OUT, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    table = render(results)
    print(table)
    write_docs(table)
    ok = results["books_fast"]["audit_clean"] and results["books_slow"]["audit_clean"] and results["b3b"]["books"]["audit_clean"]
    ok = ok and all(results[b]["charged_images"] == results[b]["delivered_images"] for b in ("books_fast", "books_slow"))
    ok = ok and results["b3b"]["books"]["charged_images"] == results["b3b"]["books"]["delivered_images"]
    sys.exit(0 if ok else 1)


def b4(output_url: str) -> dict:
    root = os.path.join(OUT, "nginx-root")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "image.png"), "wb") as f:
        f.write(requests.get(output_url, timeout=30).content)
    port = free_port()
    conf = os.path.join(OUT, "nginx.conf")
    with open(conf, "w") as f:
        f.write(
            f"worker_processes {CORES};\npid {OUT}/nginx.pid;\nerror_log {OUT}/nginx-error.log;\ndaemon off;\n"
            "events { worker_connections 4096; }\n"
            f"http {{ access_log off; sendfile on; tcp_nopush on; types {{ image/png png; }}\n"
            f"  server {{ listen 127.0.0.1:{port}; root {root}; }} }}\n"
        )
    nginx = start("nginx", ["nginx", "-c", conf, "-p", OUT])
    wait_for(f"http://127.0.0.1:{port}/image.png")
    try:
        duration = max(10, DURATION // 2)
        imagegate = wrk(output_url, "b4-imagegate", duration=duration)
        reference = wrk(f"http://127.0.0.1:{port}/image.png", "b4-nginx", duration=duration)
    finally:
        stop(nginx)
    return {"imagegate": imagegate, "nginx": reference, "bytes": os.path.getsize(os.path.join(root, "image.png"))}


def b5() -> dict:
    results = {}
    for label, (w, h) in {"2K": (2848, 1600), "3K": (4096, 2304)}.items():
        png = os.path.join(OUT, f"render-{label}.png")
        vfile = os.path.join(OUT, f"render-{label}.v")
        subprocess.run([BIN, "render", "--width", str(w), "--height", str(h), "--out", png], check=True)
        subprocess.run(["vips", "copy", png, vfile], check=True)
        export = os.path.join(OUT, f"hyperfine-{label}.json")
        subprocess.run(
            ["hyperfine", "--warmup", "2", "--runs", "10", "--export-json", export,
             "-n", "imagegate", f"{BIN} render --width {w} --height {h} --out {OUT}/b5-ig-{label}.png",
             "-n", "vips", f"vips copy {vfile} '{OUT}/b5-vips-{label}.png[compression=1]'"],
            check=True, capture_output=True,
        )
        with open(export) as f:
            data = {r["command"]: r["median"] for r in json.load(f)["results"]}
        results[label] = {"imagegate_s": data["imagegate"], "vips_s": data["vips"], "ratio": data["imagegate"] / data["vips"]}
        log(f"  {label}: ImageGate {data['imagegate'] * 1000:.0f} ms, vips {data['vips'] * 1000:.0f} ms")
    return results


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{CORES} cores ({model}), {mem:.0f} GiB, {platform.platform()}"


def render(r: dict) -> str:
    ig, ll = r["b1_imagegate"], r["b1_litellm"]
    b2e, b2i, b2l = r["b2_emulator"], r["b2_imagegate"], r["b2_litellm"]
    b3, b3b, b4r, b5r = r["b3"], r["b3b"], r["b4"], r["b5"]
    ms = lambda us: f"{us / 1000:.1f} ms"
    rows = [
        ("B1 throughput (images/s, c=64)", f"{ig['rps']:.1f}", f"{ll['rps']:.1f}", f"{ig['rps'] / max(ll['rps'], 0.001):.2f}×", ""),
        ("B1 latency p50 / p99 (at saturation)", f"{ms(ig['p50_us'])} / {ms(ig['p99_us'])}", f"{ms(ll['p50_us'])} / {ms(ll['p99_us'])}",
         f"p99 {ig['p99_us'] / max(ll['p99_us'], 1):.2f}×", "p99 ≤ 1× LiteLLM's"),
        (f"B2 added latency p50 / p99 at {r['b2_rate']:.0f}/s", f"{ms(b2i['p50_us'] - b2e['p50_us'])} / {ms(b2i['p99_us'] - b2e['p99_us'])}",
         f"{ms(b2l['p50_us'] - b2e['p50_us'])} / {ms(b2l['p99_us'] - b2e['p99_us'])}", "", "p99 ≤ 10 ms"),
        ("B3 peak RSS, 1,000 in flight", f"{b3['imagegate_peak_rss_mb']:.0f} MB", f"{b3['litellm_peak_rss_mb']:.0f} MB",
         f"{b3['imagegate_peak_rss_mb'] / max(b3['litellm_peak_rss_mb'], 1):.2f}×", "≤ 0.15×"),
        (f"B3b RSS per waiting generation ({b3b['generations']:,} on a 30 s upstream, {b3b['watchers']:,} SSE watchers)",
         f"{b3b['kb_per_waiting_at_once']:.0f} KB ({b3b['most_waiting_at_once']:,} waiting at once; peak {b3b['peak_rss_mb']:.0f} MB, "
         f"idle {b3b['idle_rss_mb']:.0f} MB)", "", "", f"≤ 50 KB, 0 errors ({b3b['errors']})"),
        ("B4 GET stored 2K PNG (req/s), `proxy`, vs nginx", f"{b4r['imagegate']['rps']:.0f}", f"nginx {b4r['nginx']['rps']:.0f}",
         f"{b4r['imagegate']['rps'] / max(b4r['nginx']['rps'], 1):.2f}×", "(`accel` ≥ 0.9×: see B4 by delivery mode)"),
        ("B5 render+encode 2K, vs `vips` (s)", f"{b5r['2K']['imagegate_s']:.3f}", f"vips {b5r['2K']['vips_s']:.3f}", f"{b5r['2K']['ratio']:.2f}×", "≤ 1.5×"),
        ("B5 render+encode 3K, vs `vips` (s)", f"{b5r['3K']['imagegate_s']:.3f}", f"vips {b5r['3K']['vips_s']:.3f}", f"{b5r['3K']['ratio']:.2f}×", "≤ 1.5×"),
    ]
    lines = [
        f"Run {r['date']} on {r['machine']}; command `bench/run.sh` (BENCH_DURATION={r['duration_s']}).",
        "",
        "| figure | ImageGate | LiteLLM / reference | ratio | target |",
        "|---|---|---|---|---|",
    ] + [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows]
    fb, sb = r["books_fast"], r["books_slow"]
    lines += [
        "",
        f"Books after the runs: audit {'clean' if fb['audit_clean'] and sb['audit_clean'] else 'NOT CLEAN'}; images charged = delivered: "
        f"{fb['charged_images']} = {fb['delivered_images']} (0 ms runs), {sb['charged_images']} = {sb['delivered_images']} (10 s run), "
        f"{b3b['books']['charged_images']} = {b3b['books']['delivered_images']} (B3b, audit {'clean' if b3b['books']['audit_clean'] else 'NOT CLEAN'}).",
        f"B3b: {b3b['generations']:,} submitted in {b3b['submit_seconds']:.1f} s, at most {b3b['most_waiting_at_once']:,} waiting at once "
        f"(RSS growth over all {b3b['generations']:,}: {b3b['kb_per_waiting']:.1f} KB each); errors: {b3b['submit_errors']} refused, "
        f"{b3b['stream_failures']} streams not ending on `completed`, {b3b['not_completed']} generations not completed.",
        f"Errors: B1 ImageGate {ig['errors']}, LiteLLM {ll['errors']}; B3 ImageGate {b3['imagegate_run']['errors']}, LiteLLM {b3['litellm_run']['errors']}.",
    ]
    return "\n".join(lines)


def write_docs(table: str):
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    marker = "<!-- latest-run -->"
    text = open(path).read() if os.path.exists(path) else f"# Benchmarks\n\n{marker}\n"
    head, _, _ = text.partition(marker)
    tail = text.split("<!-- end-latest-run -->", 1)[1] if "<!-- end-latest-run -->" in text else ""
    with open(path, "w") as f:
        f.write(f"{head}{marker}\n## Latest run\n\n{table}\n<!-- end-latest-run -->{tail}")


def write_section(name: str, title: str, table: str):
    """Writes `table` under `title` between the markers `<!-- name -->` and `<!-- end-name -->` of docs/benchmarks.md,
    replacing the previous run's, or before "The CI guard" the first time."""
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    with open(path) as f:
        text = f.read()
    start, end = f"<!-- {name} -->", f"<!-- end-{name} -->"
    block = f"{start}\n## {title}\n\n{table}\n{end}"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        marker = "## The CI guard"
        text = text.replace(marker, block + "\n\n" + marker, 1) if marker in text else text + "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def run(entry):
    """Runs a benchmark's `main`, stopping every process it started whatever happens."""
    try:
        entry()
    finally:
        for proc in PROCESSES:
            try:
                stop(proc)
            except Exception:
                pass


if __name__ == "__main__":
    run(main)
