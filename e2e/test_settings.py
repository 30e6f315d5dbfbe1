"""Settings through the real binary: `serve --config FILE`, the environment and flags above it in that order, and
`imagegate config`, which prints the effective settings with every secret redacted."""

import json
import os
import subprocess
import tempfile

import requests

from conftest import BINARY, WORK, Process, free_port, wait_for


def write_settings(settings: dict) -> str:
    path = tempfile.mktemp(prefix="settings-", suffix=".json", dir=WORK)
    with open(path, "w") as f:
        json.dump(settings, f)
    return path


def environment(**variables: str) -> dict:
    """This process's environment without any IMAGEGATE_ setting of the caller's, plus `variables`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGEGATE_") and k != "FAL_KEY"}
    env.update(variables)
    return env


def test_serve_reads_every_setting_from_the_file_below_the_environment_and_flags():
    data = tempfile.mkdtemp(prefix="data-", dir=WORK)
    file_port, env_port, flag_port = free_port(), free_port(), free_port()
    token = "file-admin-token-" + "x" * 20
    path = write_settings({"port": file_port, "data-dir": data, "admin-token": token, "output-retention": "2d"})

    for expected, args, env in [
        (file_port, [], {}),
        (env_port, [], {"IMAGEGATE_PORT": str(env_port)}),
        (flag_port, ["--port", str(flag_port)], {"IMAGEGATE_PORT": str(env_port)}),
    ]:
        server = Process.__new__(Process)
        server.log_path = os.path.join(WORK, f"settings-{expected}.log")
        server.log = open(server.log_path, "w")
        server.proc = subprocess.Popen(
            [BINARY, "serve", "--config", path, *args], stdout=server.log, stderr=subprocess.STDOUT, env=environment(**env)
        )
        try:
            wait_for(f"http://127.0.0.1:{expected}/health")
            # The admin token came from the file too.
            answer = requests.get(f"http://127.0.0.1:{expected}/admin/v1/accounts", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            assert token not in server.output()
        finally:
            server.stop()


def test_config_prints_the_effective_settings_and_their_sources_with_secrets_redacted():
    path = write_settings({"workers": 7, "fal-key": "file-fal-secret", "lease": "1m"})
    result = subprocess.run(
        [BINARY, "config", "--json", "--config", path, "--admin-token", "flag-admin-secret-0123456789abcdef"],
        env=environment(IMAGEGATE_LEASE="45s", IMAGEGATE_DATABASE="postgres://u:env-pw-secret@db/x", AWS_SECRET_ACCESS_KEY="aws-secret"),
        capture_output=True,
        text=True,
        check=True,
    )
    for secret in ["file-fal-secret", "flag-admin-secret", "env-pw-secret", "aws-secret"]:
        assert secret not in result.stdout + result.stderr
    settings = json.loads(result.stdout)
    assert settings["workers"] == {"value": "7", "source": f"file {path}"}
    assert settings["lease"] == {"value": "45s", "source": "environment"}
    assert settings["admin-token"] == {"value": "(secret)", "source": "command line"}
    assert settings["fal-key"] == {"value": "(secret)", "source": f"file {path}"}
    assert settings["s3-secret-access-key"] == {"value": "(secret)", "source": "environment"}
    assert settings["port"] == {"value": "8080", "source": "default"}


def test_a_mistyped_setting_stops_the_server_before_it_starts():
    for args, words in [
        (["serve", "--prot", "9000"], "unknown option '--prot'"),
        (["serve", "--lease", "1s"], "--lease"),
        (["accounts", "list", "--data-dirr", "/tmp/x"], "unknown option '--data-dirr'"),
    ]:
        result = subprocess.run([BINARY, *args], env=environment(), capture_output=True, text=True)
        assert result.returncode != 0
        assert words in result.stderr, result.stderr


def test_safe_defaults_owner_only_database_no_default_account_on_request_version_and_a_bad_catalog_refused_first():
    """Issue 28, item 6: the database (books and secrets) is owner-only; `--no-default-account` starts without the
    $10 account and prints no key; `--version` answers; a bad catalog stops `serve` before anything is created."""
    version = subprocess.run([BINARY, "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and version.stdout.strip().count(".") == 2, version.stdout + version.stderr

    data = tempfile.mkdtemp(prefix="bare-", dir=WORK)
    port = free_port()
    server = Process(["serve", "--port", str(port), "--data-dir", data, "--no-default-account"], f"bare-{port}")
    try:
        wait_for(f"http://127.0.0.1:{port}/health")
        assert "IMAGEGATE_API_KEY" not in server.output()
        listed = subprocess.run([BINARY, "accounts", "list", "--data-dir", data], capture_output=True, text=True, timeout=30)
        assert listed.returncode == 0 and "default" not in listed.stdout, listed.stdout + listed.stderr
        for name in os.listdir(data):
            if name.startswith("imagegate.sqlite"):
                mode = os.stat(os.path.join(data, name)).st_mode & 0o777
                assert mode == 0o600, f"{name} is {oct(mode)}"
    finally:
        server.stop()

    fresh = os.path.join(tempfile.mkdtemp(prefix="badcatalog-", dir=WORK), "data")
    catalog = write_settings({"models": [{"id": "x"}]})
    refused = subprocess.run([BINARY, "serve", "--port", str(free_port()), "--data-dir", fresh, "--catalog", catalog],
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0
    assert f"--catalog {catalog}: " in refused.stderr + refused.stdout, refused.stderr + refused.stdout
    assert "DecodingError" not in refused.stderr + refused.stdout
    assert not os.path.exists(fresh), "nothing was created"
