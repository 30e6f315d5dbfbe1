"""Outputs in S3-compatible object storage and the three delivery modes, against real servers: SeaweedFS and moto
(started by scripts/s3, neither open to unsigned requests), nginx in front for `accel` (scripts/cluster).

In every mode a valid link gives the image (its ETag is the output's id, which never names other bytes), HEAD and If-None-Match work, a
forged link is 404 and an expired one 410 `output_expired`. A store stopped mid-run fails the generations it could not
take and refunds them (the books balance, the audit is clean) and reads answer 503 with Retry-After; a store that never
answers holds up nobody else; `imagegate blobs migrate` moves a file store to a bucket without breaking a link.
"""

import concurrent.futures
import datetime
import os
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import BINARY, ROOT, WORK, Cluster, Process, free_consecutive_ports, micros, wait_for

PRICE_MICROS = 14_000
RETENTION = 8  # seconds: long enough to check a link, short enough to see it expire


class S3Server:
    """A real S3-compatible server from `scripts/s3`, and the serve options that point ImageGate at it."""

    def __init__(self, kind: str):
        self.kind = kind
        self.directory = tempfile.mkdtemp(prefix=f"s3-{kind}-", dir=WORK)
        port = free_consecutive_ports(10)
        started = subprocess.run([f"{ROOT}/scripts/s3", "start", kind, self.directory, str(port)],
                                 capture_output=True, text=True, timeout=180)
        assert started.returncode == 0, started.stdout + started.stderr
        url = urllib.parse.urlsplit(started.stdout.strip().splitlines()[-1])
        self.access = urllib.parse.unquote(url.username)
        self.secret = urllib.parse.unquote(url.password)
        self.bucket = url.path.strip("/")
        self.endpoint = f"http://127.0.0.1:{url.port}"

    @property
    def options(self) -> list[str]:
        return ["--blob-store", f"s3://{self.bucket}", "--s3-endpoint", self.endpoint,
                "--s3-access-key-id", self.access, "--s3-secret-access-key", self.secret]

    @property
    def env(self) -> dict:
        return {**os.environ, "AWS_ACCESS_KEY_ID": self.access, "AWS_SECRET_ACCESS_KEY": self.secret}

    def stop(self):
        subprocess.run([f"{ROOT}/scripts/s3", "stop", self.directory], capture_output=True, timeout=60)


@pytest.fixture
def s3_factory():
    started = []

    def start(kind: str) -> S3Server:
        server = S3Server(kind)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def generate(base: str, key: str, **extra) -> dict:
    response = requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"}, timeout=60,
                             json={"model": "seedream-5-lite", "prompt": "a lighthouse at dusk", "aspect_ratio": "1:1", **extra})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "completed", response.text
    return response.json()


def forged(url: str) -> str:
    head, signature = url.rsplit("sig=", 1)
    return head + "sig=" + ("0" if signature[0] != "0" else "1") + signature[1:]


def check_links(base: str, key: str, mode: str):
    """A valid, a forged and an expired link, HEAD and If-None-Match, in one delivery mode."""
    url = generate(base, key)["images"][0]["url"]
    first = requests.get(url, allow_redirects=False, timeout=30)
    if mode == "redirect":
        # ImageGate answers 302 to a presigned GET on the store, not to be cached; the store sends the bytes with
        # the output's type and name.
        assert first.status_code == 302, first.text
        assert first.headers["Cache-Control"] == "no-store"
        assert "X-Amz-Signature=" in first.headers["Location"] and not first.headers["Location"].startswith(base)
        answer = requests.get(first.headers["Location"], timeout=30)
    else:
        answer = first
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["Content-Disposition"].startswith("inline; filename=\"out_")
    body = answer.content
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    etag = first.headers["ETag"]
    output_id = url.split("/v1/outputs/", 1)[1].split(".", 1)[0]
    assert etag == f'"{output_id}"', "ImageGate's ETag is the output's id"
    if mode != "redirect":
        assert int(answer.headers["Content-Length"]) == len(body)

    head = requests.head(url, timeout=30)
    assert head.status_code == 200 and head.headers["ETag"] == etag and int(head.headers["Content-Length"]) == len(body)
    assert requests.get(url, headers={"If-None-Match": etag}, timeout=30, allow_redirects=False).status_code == 304
    refused = requests.get(forged(url), timeout=30, allow_redirects=False)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"

    time.sleep(RETENTION + 1)
    expired = requests.get(url, timeout=30, allow_redirects=False)
    assert expired.status_code == 410 and expired.json()["code"] == "output_expired", expired.text


# Not redirect on moto: with its signature checks on, moto reads only the Authorization header and fails every
# presigned (query-string) request with a 500 of its own, whoever signed it (botocore's presigned URLs too).
@pytest.mark.parametrize("mode,store", [("proxy", "file"), ("proxy", "seaweedfs"), ("proxy", "moto"), ("redirect", "seaweedfs")])
def test_links_in_every_delivery_mode(server_factory, s3_factory, mode, store):
    options = ["--output-retention", f"{RETENTION}s", "--output-delivery", mode]
    if store != "file":
        options += s3_factory(store).options
    base, key, _ = server_factory(*options)
    check_links(base, key, mode)


def test_accel_delivery_through_nginx():
    """`accel`: the replica checks a link, nginx keeps that answer a few seconds and sends the file itself (sendfile),
    keeping the replica's ETag, type and name; past the link's end the replica answers again, so the 410 is exact; the
    internal location of the replica's own X-Accel-Redirect is unreachable from outside."""
    cluster = Cluster(1, ["--output-retention", f"{RETENTION}s", "--output-delivery", "accel"])
    try:
        check_links(cluster.base, cluster.key, "accel")

        # Five GETs and a HEAD of a fresh link: the replica is asked once, nginx sends the file every time.
        generation = generate(cluster.base, cluster.key)
        url = generation["images"][0]["url"]
        image = requests.get(url, timeout=10)
        for _ in range(4):
            again = requests.get(url, timeout=10)
            assert again.status_code == 200 and again.content == image.content
            assert again.headers["ETag"] == image.headers["ETag"]
        assert requests.head(url, timeout=10).headers["Content-Length"] == str(len(image.content))
        output_id = url.split("/v1/outputs/", 1)[1].split(".", 1)[0]
        asked = [line for line in cluster.output().splitlines() if f"/v1/outputs/{output_id}." in line]
        assert len(asked) == 1 and "status=200" in asked[0], asked

        # A client's X-ImageGate-Link-Check never reaches a replica (nginx removes it): asking is nginx's alone.
        sneaky = {"X-ImageGate-Link-Check": "1", "If-None-Match": '"another"'}
        assert requests.get(forged(url), headers=sneaky, timeout=10).status_code == 404
        through = requests.get(url, headers=sneaky, timeout=10)
        assert through.status_code == 200 and through.content == image.content, through.headers
        assert "X-ImageGate-Blob" not in through.headers

        # Read until it ends: no 200 once the link or the output has expired, and then the replica's own 410.
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        output_end = datetime.datetime.fromisoformat(generation["expires_at"].replace("Z", "+00:00")).timestamp()
        end = min(int(query["expires"][0]), output_end)
        while True:
            sent = time.time()
            answer = requests.get(url, timeout=10)
            if answer.status_code != 200:
                break
            assert sent < end, f"a 200 for a request sent {sent - end:.3f} s after the link's end"
            time.sleep(0.05)
        assert answer.status_code == 410 and answer.json()["code"] == "output_expired", answer.text
        assert time.time() >= end

        # Straight to the replica (no nginx): the answer is the redirect header and no body.
        url = generate(cluster.base, cluster.key)["images"][0]["url"]
        replica = url.replace(cluster.base, "http://127.0.0.1:" + str(int(cluster.base.rsplit(":", 1)[1]) + 1))
        direct = requests.get(replica, timeout=10)
        assert direct.status_code == 200 and direct.content == b""
        internal = direct.headers["X-Accel-Redirect"]
        assert internal.startswith("/_imagegate_blobs/outputs/") and internal.endswith(".png")
        # The file is there, and still no client reaches it without a checked link: the location is internal.
        assert requests.get(url, timeout=10).status_code == 200
        assert requests.get(f"{cluster.base}{internal}", timeout=10).status_code == 404
    finally:
        cluster.stop()


def test_a_store_stopped_mid_run_refunds_what_it_could_not_keep(server_factory, s3_factory, emulator_factory):
    s3 = s3_factory("seaweedfs")
    # Long enough that the store is surely down (its stop can take seconds) before fal answers any of the six.
    fal = emulator_factory("--latency", "15s")
    base, key, server = server_factory("--provider", "fal", "--fal-queue-url", fal, "--fal-key", "k", *s3.options,
                                       "--sync-timeout", "60s")
    auth = {"Authorization": f"Bearer {key}"}
    before = micros(requests.get(f"{base}/v1/account", headers=auth, timeout=10).json()["balance_usd"])
    kept = requests.post(f"{base}/v1/generate", headers=auth, timeout=60,
                         json={"model": "seedream-5-lite", "prompt": "stored before the store stops"}).json()
    assert kept["status"] == "completed", kept
    ids = []
    for index in range(6):
        response = requests.post(f"{base}/v1/generate", headers={**auth, "Prefer": "respond-async"}, timeout=30,
                                 json={"model": "seedream-5-lite", "prompt": f"in flight {index}"})
        assert response.status_code == 202, response.text
        ids.append(response.json()["generation_id"])
    s3.stop()  # while fal works on them: their outputs have nowhere to go

    ended = {}
    deadline = time.time() + 120
    while len(ended) < len(ids) and time.time() < deadline:
        for generation in ids:
            body = requests.get(f"{base}/v1/generations/{generation}", headers=auth, timeout=10).json()
            if body["status"] in ("completed", "failed"):
                ended[generation] = body
        time.sleep(0.5)
    assert len(ended) == len(ids), "every generation ends"
    assert all(body["status"] == "failed" for body in ended.values()), [b["status"] for b in ended.values()]
    # Never charged for an image nobody can fetch: the balance moved by the one image stored before.
    after = micros(requests.get(f"{base}/v1/account", headers=auth, timeout=10).json()["balance_usd"])
    assert before - after == PRICE_MICROS
    audit = subprocess.run([BINARY, "audit", "--data-dir", server.data_dir], capture_output=True, text=True)
    assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr

    # Reading a stored image while the store is down: 503 with Retry-After, not a 500 or a broken 200.
    unreachable = requests.get(kept["images"][0]["url"], timeout=60)
    assert unreachable.status_code == 503, unreachable.text
    assert unreachable.json()["code"] == "service_unavailable" and int(unreachable.headers["Retry-After"]) > 0
    assert requests.get(f"{base}/ready", timeout=30).status_code == 503


def test_a_store_that_never_answers_holds_up_nobody_else(server_factory):
    """A store that accepts connections and then says nothing: the generation waiting on it is the only one
    waiting; the API answers everything else meanwhile, and /ready reports the store within its own deadline."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    held = []
    threading.Thread(target=lambda: [held.append(silent.accept()) for _ in range(64)], daemon=True).start()
    base, key, _ = server_factory("--blob-store", "s3://silent", "--s3-endpoint", f"http://127.0.0.1:{silent.getsockname()[1]}",
                                  "--s3-access-key-id", "AKIDSILENT", "--s3-secret-access-key", "silent-secret")
    auth = {"Authorization": f"Bearer {key}"}
    stuck = requests.post(f"{base}/v1/generate", headers={**auth, "Prefer": "respond-async"}, timeout=30,
                          json={"model": "seedream-5-lite", "prompt": "into silence"})
    assert stuck.status_code == 202, stuck.text
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda path: requests.get(f"{base}{path}", headers=auth, timeout=5).status_code,
                                ["/health", "/v1/models", "/v1/account", f"/v1/generations/{stuck.json()['generation_id']}"] * 4))
    assert answers == [200] * 16
    assert requests.get(f"{base}/ready", timeout=15).status_code == 503
    silent.close()


def test_migrating_files_to_a_bucket_keeps_every_link(server_factory, s3_factory):
    s3 = s3_factory("seaweedfs")
    base, key, server = server_factory()
    urls = [image["url"] for image in generate(base, key, num_images=3)["images"]]
    bytes_before = [requests.get(url, timeout=30).content for url in urls]
    server.stop()

    def migrate() -> str:
        result = subprocess.run([BINARY, "blobs", "migrate", "--from", f"file:{server.data_dir}", "--to", f"s3://{s3.bucket}",
                                 "--s3-endpoint", s3.endpoint], env=s3.env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert "copied 3 blobs" in migrate()
    # Run again (after an interruption, or to catch late writes): only what is missing is copied.
    again = migrate()
    assert "copied 0 blobs" in again and "skipped 3" in again
    # The files are gone; the same data directory now keeps its outputs in the bucket, and every old link works.
    subprocess.run(["rm", "-rf", os.path.join(server.data_dir, "blobs")], check=True)
    port = urllib.parse.urlsplit(base).port
    moved = Process(["serve", "--port", str(port), "--data-dir", server.data_dir, *s3.options], f"serve-moved-{port}")
    try:
        wait_for(f"{base}/health")
        assert [requests.get(url, timeout=30).content for url in urls] == bytes_before
    finally:
        moved.stop()
