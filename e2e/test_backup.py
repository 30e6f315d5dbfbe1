"""`imagegate backup` of a server under load, `imagegate restore` into a new data directory, a server on the copy:
the books audit clean with every blob present, and a link issued before the backup still served. Read-only operator
commands never create a database."""

import os
import subprocess
import tempfile
import threading

import pytest
import requests

from conftest import BINARY, WORK, Process, free_port, wait_for

pytestmark = pytest.mark.skipif(os.environ.get("IMAGEGATE_E2E_CLUSTER"), reason="backs up the SQLite file of one server")


def imagegate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=300)


def generate(base: str, key: str, prompt: str, **options) -> requests.Response:
    return requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}", **options.pop("headers", {})},
                         json={"model": "seedream-5-lite", "prompt": prompt, "num_images": 1, **options}, timeout=120)


def test_a_backup_under_load_restores_to_clean_books_and_live_links(server_factory):
    base, key, server = server_factory("--workers", "8")
    first = generate(base, key, "before the backup")
    assert first.status_code == 200, first.text
    old_link = first.json()["images"][0]["url"]
    old_bytes = requests.get(old_link, timeout=30).content
    assert old_bytes

    # Writers keep submitting (holds, claims, charges, outputs) all through the backup.
    stop, submitted, errors = threading.Event(), [], []

    def load(worker: int):
        while not stop.is_set():
            answer = generate(base, key, f"load {worker} {len(submitted)}", headers={"Prefer": "respond-async"})
            if answer.status_code == 202:
                submitted.append(answer.json()["generation_id"])
            elif answer.status_code != 503:  # 503 overloaded is the queue bound doing its job
                errors.append(answer.text)

    threads = [threading.Thread(target=load, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    while len(submitted) < 20:
        threading.Event().wait(0.05)
    backup_dir = os.path.join(tempfile.mkdtemp(dir=WORK), "backup")
    during = len(submitted)
    backup = imagegate("backup", backup_dir, "--data-dir", server.data_dir)
    after = len(submitted)
    stop.set()
    for thread in threads:
        thread.join()
    assert backup.returncode == 0, backup.stdout + backup.stderr
    assert not errors, errors[:3]
    assert after > during, "the load went on while the backup ran"
    assert "backup complete" in backup.stdout, backup.stdout
    assert oct(os.stat(os.path.join(backup_dir, "imagegate.sqlite")).st_mode & 0o777) == "0o600"

    refused = imagegate("backup", backup_dir, "--data-dir", server.data_dir)
    assert refused.returncode != 0 and "is not empty" in refused.stderr, refused.stderr

    restored = os.path.join(tempfile.mkdtemp(dir=WORK), "restored")
    restore = imagegate("restore", backup_dir, "--data-dir", restored)
    assert restore.returncode == 0, restore.stdout + restore.stderr
    assert oct(os.stat(os.path.join(restored, "imagegate.sqlite")).st_mode & 0o777) == "0o600"
    again = imagegate("restore", backup_dir, "--data-dir", restored)
    assert again.returncode != 0 and "is not empty" in again.stderr, again.stderr

    port = free_port()
    copy = Process(["serve", "--port", str(port), "--data-dir", restored, "--workers", "8"], f"restored-{port}")
    try:
        new_base = f"http://127.0.0.1:{port}"
        wait_for(f"{new_base}/health")
        moved = old_link.replace(base, new_base)
        answer = requests.get(moved, timeout=30)
        assert answer.status_code == 200 and answer.content == old_bytes, answer.status_code
        # The generations caught queued or running by the backup finish on the restored server.
        assert generate(new_base, key, "after the restore").status_code == 200
        wait_until_none_unfinished(new_base, key)
        audit = imagegate("audit", "--blobs", "--data-dir", restored)
        assert audit.returncode == 0 and "audit: clean" in audit.stdout, audit.stdout + audit.stderr
    finally:
        copy.stop()


def wait_until_none_unfinished(base: str, key: str, timeout: float = 300):
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            unfinished, after = 0, None
            while True:
                url = f"{base}/v1/generations?limit=100" + (f"&after={after}" if after else "")
                page = requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30).json()
                unfinished += sum(g["status"] not in ("completed", "failed") for g in page["data"])
                if not page["has_more"]:
                    break
                after = page["next_cursor"]
            if unfinished == 0:
                return
            deadline.wait(0.5)
        raise AssertionError("generations left unfinished on the restored server")
    finally:
        timer.cancel()


def test_read_only_commands_create_no_database():
    missing = os.path.join(WORK, "no-such-data-dir")
    for command in (["audit"], ["usage"], ["accounts", "list"], ["keys", "list"], ["backup", os.path.join(WORK, "b-unused")]):
        result = imagegate(*command, "--data-dir", missing)
        assert result.returncode != 0, command
        assert f"no database at {missing}/imagegate.sqlite" in result.stderr, (command, result.stderr)
        assert not os.path.exists(missing), f"{command} created {missing}"


def test_restore_refuses_a_directory_that_is_no_backup():
    empty = tempfile.mkdtemp(dir=WORK)
    result = imagegate("restore", empty, "--data-dir", os.path.join(WORK, "never-made"))
    assert result.returncode != 0 and "is not a backup made by 'imagegate backup'" in result.stderr, result.stderr
    assert not os.path.exists(os.path.join(WORK, "never-made"))
