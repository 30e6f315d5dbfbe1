"""B4 for each output delivery mode, same run, same 2K PNG: `proxy` (ImageGate sends the bytes), `accel` (through nginx,
which sends the file with sendfile after ImageGate's X-Accel-Redirect) and `redirect` (302 to a presigned GET on a
SeaweedFS bucket, the client following it), against bare nginx serving the file and the store's own GET. Then the
memory of ImageGate while 10 and then 200 clients download a 3K output at once (it must not grow with the readers).

Run by `bench/run.sh delivery` after the release build; writes its table into docs/benchmarks.md.
"""

import concurrent.futures
import datetime
import os
import subprocess
import time
import urllib.parse

import requests

from bench import (BIN, CORES, DURATION, OUT, ROOT, free_port, log, machine, peak_rss_during, run, start,
                   stop, wait_for, write_section, wrk)
from free_ports import free_consecutive_ports  # on the path bench set

SECONDS = max(10, DURATION // 2)


def serve(name: str, data: str, *options: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = start(name, [BIN, "serve", "--port", str(port), "--data-dir", data, "--log-level", "error", *options])
    wait_for(f"http://127.0.0.1:{port}/health")
    return process, f"http://127.0.0.1:{port}"


def nginx(name: str, server_block: str) -> subprocess.Popen:
    conf = os.path.join(OUT, f"{name}.conf")
    with open(conf, "w") as f:
        # As root, nginx's workers would run as nobody, who may not read ImageGate's blob files.
        user = "user root root;\n" if os.geteuid() == 0 else ""
        f.write(
            f"{user}worker_processes {CORES};\npid {OUT}/{name}.pid;\nerror_log {OUT}/{name}-error.log;\ndaemon off;\n"
            "events { worker_connections 4096; }\n"
            f"http {{ access_log off; sendfile on; tcp_nopush on; types {{ image/png png; }}\n{server_block}\n}}\n"
        )
    return start(name, ["nginx", "-c", conf, "-p", OUT])


def follow_rate(url: str, seconds: int, clients: int = 16) -> dict:
    """GETs per second by `clients` threads for `seconds`, following redirects: the same client for the store's own GET
    and for ImageGate's 302 followed to the store, so the two are compared on equal terms."""
    deadline = time.time() + seconds
    counts, failures = [0] * clients, [0] * clients

    def client(index: int):
        session = requests.Session()
        while time.time() < deadline:
            response = session.get(url, timeout=30)
            if response.status_code == 200 and len(response.content) > 0:
                counts[index] += 1
            else:
                failures[index] += 1

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(client, range(clients)))
    return {"rps": sum(counts) / seconds, "errors": sum(failures)}


def main():
    os.makedirs(OUT, exist_ok=True)
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "machine": machine()}
    log(f"raw output: {OUT}")
    data = os.path.join(OUT, "delivery-data")

    # One 2K output and one 3K output, made by the local engine into the file store.
    first, base = serve("delivery-setup", data)
    with open(os.path.join(OUT, "delivery-setup.log")) as f:
        key = next(line.split("=", 1)[1].strip() for line in f if "IMAGEGATE_API_KEY=" in line)
    auth = {"Authorization": f"Bearer {key}"}
    two_k = requests.post(f"{base}/v1/generate", headers=auth, timeout=120,
                          json={"model": "seedream-5-lite", "prompt": "delivery", "aspect_ratio": "16:9", "size": "2K"}).json()
    three_k = requests.post(f"{base}/v1/generate", headers=auth, timeout=120,
                            json={"model": "seedream-5-lite", "prompt": "delivery 3K", "aspect_ratio": "16:9", "size": "3K"}).json()
    image = requests.get(two_k["output_url"], timeout=30).content
    stop(first)
    # The links name the setup server; each mode's server is reached on its own port with the same path.
    path, three_k_path = (f"{link.path}?{link.query}" for link in map(urllib.parse.urlsplit, (two_k["output_url"], three_k["output_url"])))
    results["bytes"] = len(image)

    log("bare nginx on the same file")
    root = os.path.join(OUT, "delivery-root")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "image.png"), "wb") as f:
        f.write(image)
    bare_port = free_port()
    bare = nginx("delivery-bare", f"server {{ listen 127.0.0.1:{bare_port}; root {root}; }}")
    wait_for(f"http://127.0.0.1:{bare_port}/image.png")
    results["nginx"] = wrk(f"http://127.0.0.1:{bare_port}/image.png", "delivery-nginx", duration=SECONDS)
    stop(bare)

    log("proxy: ImageGate sends the bytes")
    proxy, base = serve("delivery-proxy", data)
    results["proxy"] = wrk(base + path, "delivery-proxy", duration=SECONDS)

    log("memory of the proxy while 10, then 200 clients download a 3K output")
    three_k_url = base + three_k_path
    results["rss"] = {}
    for readers in (10, 200):
        peak, run_result = peak_rss_during(proxy.pid, lambda: wrk(three_k_url, f"delivery-rss-{readers}", connections=readers, duration=SECONDS))
        results["rss"][readers] = {"peak_mb": peak / 1024, "rps": run_result["rps"], "errors": run_result["errors"]}
        log(f"  {readers} readers: peak RSS {peak / 1024:.0f} MB")
    stop(proxy)

    log("accel: nginx (the shipped config) sends the file once ImageGate has checked the link (the check kept a few seconds)")
    accel, accel_base = serve("delivery-accel", data, "--output-delivery", "accel")
    front = free_port()
    with open(os.path.join(ROOT, "deploy", "nginx", "imagegate.conf")) as f:
        shipped = f.read()
    upstream = shipped.split("# replicas:begin")[0] + "# replicas:begin\n    server " + accel_base.removeprefix("http://") + ";\n" + \
        "    # replicas:end" + shipped.split("# replicas:end", 1)[1]
    upstream = upstream.replace("    listen 8080;", f"    listen 127.0.0.1:{front};")
    upstream = upstream.replace("/var/lib/nginx/imagegate-checks", os.path.join(OUT, "delivery-accel-checks"))
    head, rest = upstream.split("# accel-http:begin\n", 1)
    block, tail = rest.split("# accel-http:end", 1)
    upstream = head + "".join(line.removeprefix("# ") + "\n" for line in block.splitlines()) + tail  # uncommented, as accel needs
    with open(os.path.join(ROOT, "deploy", "nginx", "imagegate-accel.conf")) as f:
        accel_conf = f.read().replace("/var/lib/imagegate/data/blobs/", f"{data}/blobs/")
    accel_path = os.path.join(OUT, "delivery-accel-locations.conf")
    with open(accel_path, "w") as f:
        f.write(accel_conf)
    upstream = upstream.replace("    # accel:begin\n", f"    # accel:begin\n    include {accel_path};\n")
    front_proc = nginx("delivery-accel-nginx", upstream)
    wait_for(f"http://127.0.0.1:{front}/health")
    check = requests.get(f"http://127.0.0.1:{front}{path}", timeout=30)
    assert check.status_code == 200 and check.content == image, check.status_code
    results["accel"] = wrk(f"http://127.0.0.1:{front}{path}", "delivery-accel", duration=SECONDS)
    stop(front_proc)
    stop(accel)

    log("redirect: the outputs moved to a SeaweedFS bucket, ImageGate answers 302 to presigned GETs")
    store_dir = os.path.join(OUT, "delivery-s3")
    store_port = free_consecutive_ports(10)
    url = subprocess.run([os.path.join(ROOT, "scripts", "s3"), "start", "seaweedfs", store_dir, str(store_port)],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    try:
        settings = urllib.parse.urlsplit(url)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": urllib.parse.unquote(settings.username),
               "AWS_SECRET_ACCESS_KEY": urllib.parse.unquote(settings.password)}
        bucket, endpoint = settings.path.strip("/"), f"http://127.0.0.1:{settings.port}"
        store = ["--blob-store", f"s3://{bucket}", "--s3-endpoint", endpoint]
        subprocess.run([BIN, "blobs", "migrate", "--from", f"file:{data}", "--to", f"s3://{bucket}", "--s3-endpoint", endpoint],
                       env=env, check=True, capture_output=True)
        os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        redirect, base = serve("delivery-redirect", data, *store, "--output-delivery", "redirect", "--output-cache-mb", "0")
        presigned = requests.get(base + path, allow_redirects=False, timeout=30).headers["Location"]
        assert requests.get(presigned, timeout=30).content == image
        results["redirect_302"] = wrk(base + path, "delivery-redirect-302", duration=SECONDS)
        results["store_wrk"] = wrk(presigned, "delivery-store", duration=SECONDS)
        results["store_follow"] = follow_rate(presigned, SECONDS)
        results["redirect_follow"] = follow_rate(base + path, SECONDS)
        log(f"  store's own GET {results['store_follow']['rps']:.0f}/s, through the redirect {results['redirect_follow']['rps']:.0f}/s")
        stop(redirect)
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "s3"), "stop", store_dir], capture_output=True)

    table = render(results)
    print(table)
    write_section("delivery-run", "B4 by delivery mode (latest run)", table)


def render(r: dict) -> str:
    nginx_rps = r["nginx"]["rps"]
    ms = lambda us: f"{us / 1000:.1f} ms"
    rows = [
        ("bare nginx, sendfile (reference)", r["nginx"], "1.00×", ""),
        ("`proxy`: ImageGate streams", r["proxy"], f"{r['proxy']['rps'] / nginx_rps:.2f}×", ""),
        ("`accel`: ImageGate checks, nginx sends", r["accel"], f"{r['accel']['rps'] / nginx_rps:.2f}×", "≥ 0.9×"),
        ("`redirect`: ImageGate's 302 alone", r["redirect_302"], "", ""),
        ("the store's own GET (SeaweedFS, presigned)", r["store_wrk"], f"{r['store_wrk']['rps'] / nginx_rps:.2f}×", ""),
    ]
    lines = [
        f"Run {r['date']} on {r['machine']}; command `bench/run.sh delivery` ({SECONDS} s per figure, wrk c=64 unless said). "
        f"The same {r['bytes'] / 1e6:.2f} MB 2K PNG in every row; the client, the servers and the store share the machine's cores.",
        "",
        "| delivery | GETs/s | p50 / p99 | vs bare nginx | target |",
        "|---|---|---|---|---|",
    ] + [f"| {name} | {d['rps']:.0f} | {ms(d['p50_us'])} / {ms(d['p99_us'])} | {ratio} | {target} |" for name, d, ratio, target in rows]
    store, follow = r["store_follow"], r["redirect_follow"]
    rss = r["rss"]
    lines += [
        "",
        f"`redirect` as a client sees it (16 Python clients following the 302, against the same clients on the store's own "
        f"presigned GET): {follow['rps']:.0f}/s against {store['rps']:.0f}/s = **{follow['rps'] / max(store['rps'], 1):.2f}×** "
        f"(errors {follow['errors']} / {store['errors']}).",
        "",
        f"ImageGate's memory while readers download a 3K output in `proxy` mode: peak RSS {rss[10]['peak_mb']:.0f} MB with 10 readers "
        f"({rss[10]['rps']:.0f} GETs/s), {rss[200]['peak_mb']:.0f} MB with 200 ({rss[200]['rps']:.0f} GETs/s, errors {rss[200]['errors']}).",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    run(main)
