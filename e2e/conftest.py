"""Shared fixtures: the built `imagegate` binary, free ports, a self-signed certificate, and running servers.

The official fal client reads its hosts from the environment when it is imported, so the emulator's ports and
certificate are chosen here, at collection time, before any test module imports it.
"""

import concurrent.futures
import datetime
import ipaddress
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("IMAGEGATE_BIN", os.path.join(ROOT, ".build", "debug", "imagegate"))
WORK = tempfile.mkdtemp(prefix="imagegate-e2e-")

sys.path.insert(0, os.path.join(ROOT, "scripts"))
from free_ports import free_consecutive_ports  # noqa: E402  (one copy, shared with scripts/test and bench/)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certificate(directory: str) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and localhost (the clients verify it through SSL_CERT_FILE)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "imagegate-e2e")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


# The HTTPS emulator the fal client and LiteLLM talk to; its addresses go into the environment now.
TLS_QUEUE_PORT = free_port()
TLS_SYNC_PORT = free_port()
CERT, KEY = make_certificate(WORK)
os.environ.update(
    FAL_QUEUE_RUN_HOST=f"127.0.0.1:{TLS_QUEUE_PORT}",
    FAL_RUN_HOST=f"127.0.0.1:{TLS_SYNC_PORT}",
    FAL_KEY="e2e-test-key",
    SSL_CERT_FILE=CERT,
    LITELLM_LOCAL_MODEL_COST_MAP="True",
    NO_PROXY="127.0.0.1,localhost",
)


# Supplier keys in this process's environment (FAL_KEY above, for the fal client) must not reach a server: without
# --provider it runs each model on its first route with a key, which could be a real supplier. A test that wants a
# route gives the key itself (server_factory's `env`).
SUPPLIER_KEYS = ("FAL_KEY", "ARK_API_KEY", "REPLICATE_API_TOKEN", "OPENAI_API_KEY")


def server_environment(extra: dict | None = None) -> dict:
    env = {name: value for name, value in os.environ.items() if name not in SUPPLIER_KEYS}
    return {**env, **(extra or {})}


class Process:
    """A background `imagegate` process whose output goes to a log file."""

    def __init__(self, args: list[str], name: str, env: dict | None = None):
        self.log_path = os.path.join(WORK, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([BINARY, *args], stdout=self.log, stderr=subprocess.STDOUT, env=env or server_environment())

    def output(self) -> str:
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


# The PostgreSQL database of each cluster's shared data directory (see `server_factory`).
CLUSTER_DATABASES: dict[str, str] = {}


def operator(*args: str, data_dir: str) -> str:
    """Runs an operator command (`imagegate accounts …`) against a data directory (and its cluster's database, for
    a cluster); returns its output."""
    database = ["--database", CLUSTER_DATABASES[data_dir]] if data_dir in CLUSTER_DATABASES else []
    result = subprocess.run([BINARY, *args, "--data-dir", data_dir, *database], check=True, capture_output=True, text=True)
    return result.stdout.strip()


class Cluster:
    """`scripts/cluster up N [--s3]`: PostgreSQL, N replicas and nginx (and a SeaweedFS bucket for the outputs, delivered
    by redirect), standing in for one `serve` process."""

    def __init__(self, replicas: int, options: list[str], s3: bool = False, env: dict | None = None):
        """`env`: more environment for every replica (a catalog's supplier addresses and keys)."""
        port = free_consecutive_ports(replicas + 1)
        self.directory = tempfile.mkdtemp(prefix="cluster-", dir=WORK)
        self.env = {**server_environment(), **(env or {}), "IMAGEGATE_BIN": BINARY, "IMAGEGATE_CLUSTER_DIR": self.directory,
                    "IMAGEGATE_CLUSTER_PORT": str(port), "IMAGEGATE_CLUSTER_PG_PORT": str(free_port()),
                    "IMAGEGATE_CLUSTER_S3_PORT": str(free_consecutive_ports(10)),
                    "IMAGEGATE_CLUSTER_METRICS_PORT": str(free_consecutive_ports(replicas + 1)),
                    "IMAGEGATE_CLUSTER_ADMIN_PORT": str(free_port())}
        s3_flag = ["--s3"] if s3 else []
        up = subprocess.run([f"{ROOT}/scripts/cluster", "up", str(replicas), *s3_flag, "--", *options], env=self.env,
                            capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, up.stdout + up.stderr
        settings = dict(line.strip().removeprefix("export ").split("=", 1) for line in up.stdout.splitlines() if "export " in line)
        self.base, self.key = settings["IMAGEGATE_URL"], settings["IMAGEGATE_API_KEY"]
        self.database = settings["IMAGEGATE_DATABASE"].split("#")[0].strip().strip("'")
        self.admin_port = int(self.env["IMAGEGATE_CLUSTER_ADMIN_PORT"])
        self.metrics_port = int(self.env["IMAGEGATE_CLUSTER_METRICS_PORT"])
        self.data_dir = os.path.join(self.directory, "data")
        CLUSTER_DATABASES[self.data_dir] = self.database

    def output(self) -> str:
        """Every replica's log."""
        logs = []
        for name in sorted(os.listdir(self.directory)):
            if name.startswith("replica-") and name.endswith(".log"):
                with open(os.path.join(self.directory, name)) as f:
                    logs.append(f.read())
        return "".join(logs)

    def stop(self):
        subprocess.run([f"{ROOT}/scripts/cluster", "down"], env=self.env, capture_output=True, timeout=120)

    def restart(self, replica: int, signal: int):
        """Stops replica `replica` (1-based) with `signal` and starts it again as it was. SIGKILL: no graceful
        shutdown, leases and in-flight requests left behind. SIGTERM (a rolling deploy): the replica finishes what it
        sent upstream, gives its leases back and exits by itself, within a minute."""
        directory = pathlib.Path(self.directory)
        pid_file = directory / f"replica-{replica}.pid"
        pid = int(pid_file.read_text())
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            command = [part.decode() for part in f.read().split(b"\0") if part]
        with open(f"/proc/{pid}/environ", "rb") as f:  # the store's keys are in it, not on the command line
            environment = dict(part.decode().split("=", 1) for part in f.read().split(b"\0") if b"=" in part)
        os.kill(pid, signal)
        deadline = time.time() + 60
        while os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read():
            assert time.time() < deadline, f"replica {replica} did not stop within 60 s of signal {signal}"
            time.sleep(0.05)
        log = open(directory / f"replica-{replica}-restarted.log", "a")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment)
        pid_file.write_text(str(process.pid))


def submit_async(base: str, key: str, **body) -> requests.Response:
    """`POST /v1/generate` with `Prefer: respond-async`: answers at once (202) with the queued generation."""
    return requests.post(
        f"{base}/v1/generate",
        json={"model": "seedream-5-lite", **body},
        headers={"Authorization": f"Bearer {key}", "Prefer": "respond-async"},
        timeout=30,
    )


def submit_until_accepted(base: str, key: str, prompt: str, num_images: int, attempts: int = 300) -> str:
    """One logical request, `POST /v1/generate` with `Prefer: respond-async`, sent again with the same
    `Idempotency-Key` while the server is unreachable or a proxy answers 502–504 (the server behind it died); returns
    its generation id."""
    headers = {"Authorization": f"Bearer {key}", "Prefer": "respond-async", "Idempotency-Key": str(uuid.uuid4())}
    body = {"model": "seedream-5-lite", "prompt": prompt, "aspect_ratio": "1:1", "output_format": "jpeg", "num_images": num_images}
    for _ in range(attempts):
        try:
            response = requests.post(f"{base}/v1/generate", json=body, headers=headers, timeout=30)
        except requests.RequestException:
            time.sleep(0.1)
            continue
        if response.status_code in (502, 503, 504):
            time.sleep(0.1)
            continue
        assert response.status_code == 202, response.text
        return response.json()["generation_id"]
    raise AssertionError(f"'{prompt}' never got through")


def submit_all_during(base: str, key: str, label: str, total: int, chaos) -> list:
    """`total` logical requests (1 or 2 images each) from 16 clients while `chaos(submitted)` runs beside them
    (`submitted()` counts those that got through); checks each request made exactly one generation."""
    lock = threading.Lock()
    ids: list[str] = []

    def submit(index: int):
        generation = submit_until_accepted(base, key, f"{label} {index}", 1 + index % 2)
        with lock:
            ids.append(generation)

    thread = threading.Thread(target=chaos, args=(lambda: len(ids),))
    thread.start()
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(submit, range(total)))
    thread.join()
    assert len(set(ids)) == total, "one generation per Idempotency-Key"
    return ids


def micros(amount) -> int:
    """Dollars as the API writes them, in integer micro-dollars."""
    return round(float(amount) * 1_000_000)


def wait_for_all_to_end(base: str, key: str, total: int, timeout: float = 600) -> dict:
    """Pages through the key's generations until `total` of them have ended; returns them by id."""
    deadline = time.time() + timeout
    final: dict[str, dict] = {}
    while time.time() < deadline and len(final) < total:
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
    assert len(final) == total, f"{total - len(final)} generations never ended"
    statuses = [g["status"] for g in final.values()]
    assert statuses.count("failed") > 0 and statuses.count("completed") > 0
    return final


def assert_books_balance(base: str, key: str, final: dict, credit_micros: int, price_micros: int = 14_000) -> int:
    """Charged exactly the delivered images, refunded the rest, nothing left on hold; returns the images delivered."""
    delivered = sum(len(g["images"]) for g in final.values())
    assert sum(micros(g["cost_usd"]) for g in final.values()) == delivered * price_micros
    for g in final.values():
        assert micros(g["cost_usd"]) + micros(g["refunded_usd"]) == micros(g["estimated_cost_usd"])
    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert micros(account["balance_usd"]) == credit_micros - delivered * price_micros
    assert micros(account["held_usd"]) == 0
    return delivered


def wait_for(url: str, verify=True, timeout: float = 30, status: int | None = None):
    """Waits until `url` answers (with `status`, when given: a server may answer 503 until it is ready)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            answer = requests.get(url, timeout=1, verify=verify)
            if status is None or answer.status_code == status:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="session")
def tls_emulator():
    """The fal emulator over HTTPS: queue host and synchronous host."""
    if not os.path.exists(BINARY):
        pytest.fail(f"build imagegate first: {BINARY} is missing")
    emulator = Process(
        ["fal-emulator", "--port", str(TLS_QUEUE_PORT), "--sync-port", str(TLS_SYNC_PORT), "--tls-cert", CERT, "--tls-key", KEY,
         "--public-url", f"https://127.0.0.1:{TLS_QUEUE_PORT}", "--latency", "300ms", "--queue-latency", "300ms"],
        "tls-emulator",
    )
    wait_for(f"https://127.0.0.1:{TLS_QUEUE_PORT}/_emulator/stats", verify=CERT)
    yield {"queue": f"https://127.0.0.1:{TLS_QUEUE_PORT}", "sync": f"https://127.0.0.1:{TLS_SYNC_PORT}"}
    emulator.stop()


@pytest.fixture
def emulator_factory():
    """Starts plain-HTTP emulators with the given options; stops them after the test."""
    started = []

    def start(*options: str) -> str:
        port = free_port()
        emulator = Process(["fal-emulator", "--port", str(port), "--sync-port", "0", *options], f"emulator-{port}")
        started.append(emulator)
        wait_for(f"http://127.0.0.1:{port}/_emulator/stats")
        return f"http://127.0.0.1:{port}"

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def ark_factory():
    """Starts Ark (or, with command="openai-emulator" or "replicate-emulator", OpenAI-compatible or Replicate)
    emulators with the given options; returns the base URL (…/api/v3, …/v1, or the host for Replicate, whose paths
    start with /v1) and a reader of its counters."""
    started = []

    def start(*options: str, command: str = "ark-emulator"):
        port = free_port()
        emulator = Process([command, "--port", str(port), *options], f"{command}-{port}")
        started.append(emulator)
        wait_for(f"http://127.0.0.1:{port}/_emulator/stats")
        base = f"http://127.0.0.1:{port}" + {"ark-emulator": "/api/v3", "openai-emulator": "/v1"}.get(command, "")
        return base, lambda: requests.get(f"http://127.0.0.1:{port}/_emulator/stats", timeout=5).json()

    yield start
    for emulator in started:
        emulator.stop()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.fixture
def server_factory():
    """Starts `imagegate serve` on a fresh data directory (or a cluster, see `Cluster`); returns (base URL, API key,
    process)."""
    started = []

    def start(*options: str, env: dict | None = None):
        # IMAGEGATE_E2E_CLUSTER=N runs the same tests against N replicas on PostgreSQL behind nginx.
        replicas = int(os.environ.get("IMAGEGATE_E2E_CLUSTER", "0"))
        if replicas > 0:
            assert not env, "a cluster takes no extra environment"
            cluster = Cluster(replicas, list(options))
            started.append(cluster)
            return cluster.base, cluster.key, cluster
        port = free_port()
        data = tempfile.mkdtemp(prefix="data-", dir=WORK)
        server = Process(["serve", "--port", str(port), "--data-dir", data, *options], f"serve-{port}", env=server_environment(env))
        started.append(server)
        wait_for(f"http://127.0.0.1:{port}/health")
        match = re.search(r"IMAGEGATE_API_KEY=(ig_[A-Za-z0-9_-]+)", server.output())
        assert match, server.output()
        server.data_dir = data
        return f"http://127.0.0.1:{port}", match.group(1), server

    yield start
    for server in started:
        server.stop()


def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0:
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print(f"\nserver logs kept in {WORK}")
