"""`imagegate audit` on real books the release binary wrote, then corrupted: each finding names its class and row, the
command exits non-zero, and `--blobs` finds a charged image whose file is gone."""

import json
import os
import pathlib
import sqlite3
import subprocess

import pytest
import requests

from conftest import BINARY


def audit(data: str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, "audit", *options, "--data-dir", data], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(os.environ.get("IMAGEGATE_E2E_CLUSTER"), reason="corrupts the SQLite file of one server")
def test_the_audit_names_class_and_row_and_exits_non_zero(server_factory):
    base, key, server = server_factory()
    answer = requests.post(f"{base}/v1/generate", headers={"Authorization": f"Bearer {key}"},
                           json={"model": "seedream-5-lite", "prompt": "a lighthouse", "num_images": 2}, timeout=120)
    assert answer.status_code == 200, answer.text
    generation = answer.json()["generation_id"]
    server.stop()
    data = server.data_dir

    clean = audit(data, "--blobs")
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr

    with sqlite3.connect(pathlib.Path(data) / "imagegate.sqlite") as db:
        db.execute("UPDATE generations SET status = 'failed' WHERE id = ?", (generation,))
        blob = db.execute("SELECT id, blob_key FROM outputs WHERE generation_id = ? ORDER BY image_index", (generation,)).fetchone()
    broken = audit(data)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert f"PROBLEM [status_outputs] generation {generation}: failed with 2 output(s)" in broken.stdout, broken.stdout
    findings = json.loads(audit(data, "--json").stdout)["findings"]
    assert {"class": "status_outputs", "row": f"generation {generation}", "message": "failed with 2 output(s)"} in findings

    (pathlib.Path(data) / "blobs" / blob[1]).unlink()
    assert "missing_blob" not in audit(data).stdout, "the store is read only with --blobs"
    missing = audit(data, "--blobs")
    assert missing.returncode == 1 and f"PROBLEM [missing_blob] output {blob[0]}: the blob {blob[1]}" in missing.stdout, missing.stdout
