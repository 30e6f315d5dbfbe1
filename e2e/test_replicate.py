"""`imagegate replicate-emulator` proven with Replicate's official Python client (`replicate`), then
`imagegate serve --catalog examples/emulated-suppliers.json` with Seedream 5 Lite routed to it, driven with the `openai`
SDK: images made on Replicate and mirrored into ImageGate's store, a cancel that reaches Replicate, a server killed
with SIGKILL mid-prediction that resumes through the saved prediction id (Replicate sees one prediction), and books
that `imagegate audit` finds clean."""

import base64
import io
import sqlite3
import subprocess
import time

import openai
import pytest
import replicate
import requests
from replicate.exceptions import ModelError, ReplicateError

from conftest import BINARY, Process, free_port, micros, png_size, server_environment, submit_async, wait_for
from test_ark import EXAMPLE

MODEL = "bytedance/seedream-5-lite"


def test_the_official_client_runs_the_model_and_follows_predictions(ark_factory):
    base, stats = ark_factory("--latency", "300ms", command="replicate-emulator")
    client = replicate.Client(api_token="r8_e2e", base_url=base)
    output = client.run(MODEL, input={"prompt": "a lighthouse at dusk", "size": "2K", "aspect_ratio": "16:9", "output_format": "png"})
    assert isinstance(output, list) and len(output) == 1, output
    assert png_size(requests.get(str(output[0]), timeout=10).content) == (2848, 1600)

    # Without `Prefer: wait`: created `starting`, then polled to its end by the client; references as data URIs,
    # `match_input_image` taking the reference's ratio, three images in sequential mode.
    picture = requests.get(str(output[0]), timeout=10).content
    reference = "data:image/png;base64," + base64.b64encode(picture).decode()
    prediction = client.predictions.create(model=MODEL, input={
        "prompt": "the lighthouse in three seasons", "image_input": [reference], "sequential_image_generation": "auto", "max_images": 3,
    })
    assert prediction.status == "starting" and prediction.model == MODEL and prediction.urls["get"].endswith(prediction.id)
    prediction.wait()
    assert prediction.status == "succeeded" and len(prediction.output) == 3, prediction
    assert png_size(requests.get(prediction.output[2], timeout=10).content) == (2848, 1600)
    assert client.predictions.get(prediction.id).output == prediction.output
    counters = stats()
    assert counters["protocol"] == "replicate" and counters["accepted"] == 2 and counters["imagesBilled"] == 4
    assert counters["referenceDataURIs"] == 1 and counters["statusPolls"] >= 2


def test_a_prediction_cancelled_with_the_client_ends_canceled_and_bills_nothing(ark_factory):
    base, stats = ark_factory("--latency", "5s", command="replicate-emulator")
    client = replicate.Client(api_token="r8_e2e", base_url=base)
    prediction = client.predictions.create(model=MODEL, input={"prompt": "a slow lighthouse"})
    cancelled = client.predictions.cancel(prediction.id)
    assert cancelled.status == "canceled" and cancelled.output is None
    prediction.wait()
    assert prediction.status == "canceled"
    assert stats()["cancelled"] == 1 and stats()["imagesBilled"] == 0


def test_each_error_comes_as_replicates_problem_or_failed_prediction(ark_factory):
    guarded, _ = ark_factory("--key", "right", command="replicate-emulator")
    with pytest.raises(ReplicateError) as unauthorised:
        replicate.Client(api_token="wrong", base_url=guarded).run(MODEL, input={"prompt": "x"})
    assert unauthorised.value.status == 401 and unauthorised.value.title == "Unauthenticated"
    with pytest.raises(ReplicateError) as invalid:
        replicate.Client(api_token="right", base_url=guarded).run(MODEL, input={"prompt": "x", "size": "4K"})
    assert invalid.value.status == 422 and invalid.value.title == "Input validation failed" and "input.size" in invalid.value.detail
    with pytest.raises(ReplicateError) as missing:
        replicate.Client(api_token="right", base_url=guarded).run("bytedance/no-such-model", input={"prompt": "x"})
    assert missing.value.status == 404

    refusing, _ = ark_factory("--fail-rate", "1", "--fail-type", "content_policy", command="replicate-emulator")
    with pytest.raises(ModelError) as flagged:
        replicate.Client(api_token="k", base_url=refusing).run(MODEL, input={"prompt": "x"})
    assert flagged.value.prediction.status == "failed" and "(E005)" in flagged.value.prediction.error

    lost, stats = ark_factory("--lost-answer-rate", "1", command="replicate-emulator")
    with pytest.raises(ReplicateError) as server_error:
        replicate.Client(api_token="k", base_url=lost).run(MODEL, input={"prompt": "lost after the work"})
    assert server_error.value.status == 500
    deadline = time.monotonic() + 20
    while stats()["imagesBilled"] < 1:
        assert time.monotonic() < deadline, stats()
        time.sleep(0.1)
    assert stats()["answersLost"] == 1 and stats()["accepted"] == 1, "the prediction ran and billed though its answer was lost"


def test_a_429_burst_carries_retry_after(ark_factory):
    base, stats = ark_factory("--rate-limit-first", "2", "--retry-after", "0", command="replicate-emulator")
    burst = requests.post(f"{base}/v1/models/{MODEL}/predictions", json={"input": {"prompt": "x"}},
                          headers={"Authorization": "Bearer k"}, timeout=10)
    assert burst.status_code == 429 and burst.headers["Retry-After"] == "0"
    assert burst.json()["status"] == 429 and burst.json()["title"] == "Request was throttled."
    with pytest.raises(ReplicateError) as throttled:
        replicate.Client(api_token="k", base_url=base).run(MODEL, input={"prompt": "x"})
    assert throttled.value.status == 429, "the client does not resend a create by itself"
    assert len(replicate.Client(api_token="k", base_url=base).run(MODEL, input={"prompt": "after the burst"})) == 1
    assert stats()["rateLimited"] == 2 and stats()["accepted"] == 1


def test_serve_runs_seedream_on_replicate_mirrors_cancels_and_books_clean(server_factory, ark_factory):
    emulator, stats = ark_factory("--latency", "2s", command="replicate-emulator")
    base, key, server = server_factory("--catalog", EXAMPLE, env={"REPLICATE_API_TOKEN": "r8_e2e_token", "IMAGEGATE_REPLICATE_URL": emulator})
    output = server.output()
    assert "runs_on=replicate (bytedance/seedream-5-lite)" in output and "no key in ARK_API_KEY" in output, output
    assert "r8_e2e_token" not in output
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=key)
    made = client.images.generate(model="seedream-5-lite", prompt="a red bicycle on a bridge", n=2, size="2848x1600")
    assert len(made.data) == 2
    pictures = [requests.get(image.url, timeout=10).content for image in made.data]
    assert all(png_size(p) == (2848, 1600) for p in pictures), "mirrored into ImageGate's store"
    assert all(image.url.startswith(base) for image in made.data)
    edited = client.images.edit(model="seedream-5-lite", prompt="the bicycle in blue", image=[("bike.png", io.BytesIO(pictures[0]), "image/png")])
    assert len(edited.data) == 1
    assert stats()["accepted"] == 2 and stats()["imagesBilled"] == 3 and stats()["referenceDataURIs"] == 1

    # A cancel reaches Replicate: the prediction ends `canceled`, nothing is billed, the hold comes back whole.
    auth = {"Authorization": f"Bearer {key}"}
    generation = submit_async(base, key, prompt="a slow lighthouse", aspect_ratio="1:1", num_images=2).json()["generation_id"]
    deadline = time.monotonic() + 20
    while stats()["accepted"] < 3:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cancelled = requests.post(f"{base}/v1/generations/{generation}/cancel", headers=auth, timeout=30)
    assert cancelled.status_code in (200, 202), cancelled.text
    while (final := requests.get(f"{base}/v1/generations/{generation}", headers=auth, timeout=10).json())["status"] not in ("cancelled", "completed", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert final["status"] == "cancelled" and final["cost_usd"] == 0 and final["refunded_usd"] == 0.028, final
    assert stats()["cancelled"] == 1 and stats()["imagesBilled"] == 3

    account = requests.get(f"{base}/v1/account", headers=auth, timeout=10).json()
    assert micros(account["held_usd"]) == 0 and 10_000_000 - micros(account["balance_usd"]) == 3 * 14_000
    server.stop()
    clean = subprocess.run([BINARY, "audit", "--blobs", "--data-dir", server.data_dir], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr


def test_a_server_killed_mid_prediction_resumes_it_through_the_saved_id(ark_factory, tmp_path):
    emulator, stats = ark_factory("--latency", "8s", command="replicate-emulator")
    data = str(tmp_path / "data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = ["serve", "--port", str(port), "--data-dir", data, "--catalog", EXAMPLE, "--lease", "3s"]
    env = {"REPLICATE_API_TOKEN": "r8_e2e", "IMAGEGATE_REPLICATE_URL": emulator}
    first = Process(args, "replicate-kill-0", env=server_environment(env))
    wait_for(f"{base}/health")
    key = first.output().split("IMAGEGATE_API_KEY=")[1].split()[0]
    generation = submit_async(base, key, prompt="a lighthouse that outlives its server", aspect_ratio="1:1", num_images=2).json()["generation_id"]

    # Killed once Replicate has the prediction and its id is saved, long before it ends.
    deadline = time.monotonic() + 20
    saved = None
    while saved is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
        with sqlite3.connect(f"{data}/imagegate.sqlite") as db:
            saved = db.execute("SELECT upstream_request_id FROM generations WHERE id = ?", (generation,)).fetchone()[0]
    first.proc.kill()
    first.proc.wait()
    first.log.close()
    assert stats()["accepted"] == 1 and stats()["imagesBilled"] == 0, "killed while Replicate was still working"

    second = Process(args, "replicate-kill-1", env=server_environment(env))
    try:
        wait_for(f"{base}/health")
        auth = {"Authorization": f"Bearer {key}"}
        deadline = time.monotonic() + 90
        while (final := requests.get(f"{base}/v1/generations/{generation}", headers=auth, timeout=10).json())["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, final
            time.sleep(0.2)
        assert final["status"] == "completed" and len(final["images"]) == 2 and final["provider"] == "replicate", final
        assert micros(final["cost_usd"]) == 2 * 14_000
        counters = stats()
        assert counters["requestsReceived"] == 1 and counters["accepted"] == 1 and counters["imagesBilled"] == 2, counters
        assert counters["duplicatePrompts"] == 0
    finally:
        second.stop()
    with sqlite3.connect(f"{data}/imagegate.sqlite") as db:
        assert db.execute("SELECT upstream_request_id FROM generations WHERE id = ?", (generation,)).fetchone()[0] == saved
    clean = subprocess.run([BINARY, "audit", "--blobs", "--data-dir", data], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr
