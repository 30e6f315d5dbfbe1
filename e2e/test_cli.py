"""The `imagegate generate`, `generations` and `account` client commands against a running server."""

import os
import subprocess

from conftest import BINARY, operator, submit_async


def run_cli(base: str, key: str, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "IMAGEGATE_URL": base, "IMAGEGATE_API_KEY": key}
    return subprocess.run([BINARY, *args], env=env, capture_output=True, text=True, cwd=cwd, timeout=120)


def test_generate_saves_images_and_reports_cost(server_factory, tmp_path):
    base, key, _ = server_factory()
    result = run_cli(base, key, "generate", "a red fox in the snow", "-n", "2", "--aspect-ratio", "1:1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    paths = result.stdout.split()
    assert len(paths) == 2 and all(os.path.getsize(p) > 1000 for p in paths)
    assert "estimated cost: $0.028" in result.stderr
    assert "cost $0.028" in result.stderr

    edit = run_cli(base, key, "generate", "the fox, watercolour", "--image", paths[0], "--aspect-ratio", "auto", "--out", str(tmp_path))
    assert edit.returncode == 0, edit.stderr

    listing = run_cli(base, key, "generations", "list")
    assert listing.returncode == 0 and listing.stdout.count("completed") == 2
    account = run_cli(base, key, "account")
    assert "balance $9.958" in account.stdout


def test_errors_are_one_line_and_non_zero(server_factory):
    base, key, _ = server_factory()
    bad = run_cli(base, key, "generate", "x", "--size", "5K")
    assert bad.returncode != 0
    assert bad.stderr.strip().splitlines()[-1].startswith("error: size must be one of")
    wrong_key = run_cli(base, "ig_wrong", "account")
    assert wrong_key.returncode != 0 and "unauthorized" in wrong_key.stderr
    async_id = run_cli(base, key, "generate", "later", "--async")
    assert async_id.returncode == 0 and async_id.stdout.startswith("gen_")


def test_an_operator_changes_a_live_keys_rate_limits(server_factory):
    base, key, server = server_factory()
    shown = operator("keys", "limits", key[:11], "--images-per-minute", "1", data_dir=server.data_dir)
    assert shown.endswith("requests server default, images 1/min"), shown
    assert "1" in operator("keys", "list", data_dir=server.data_dir).splitlines()[-1].split()[-1]
    assert submit_async(base, key, prompt="one").status_code == 202
    refused = submit_async(base, key, prompt="two")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    operator("keys", "limits", key[:11], "--images-per-minute", "default", data_dir=server.data_dir)
    assert submit_async(base, key, prompt="three").status_code == 202
