"""`imagegate serve --provider fal` against `imagegate fal-emulator`: the page's quickstart end to end."""

import requests

QUICKSTART = {
    "model": "seedream-5-lite",
    "mode": "generate",
    "prompt": "Minimalist product photo of a ceramic coffee mug, soft light",
    "aspect_ratio": "16:9",
    "size": "2K",
    "num_images": 1,
    "seed": 0,
}


def test_quickstart_through_fal(emulator_factory, server_factory):
    fal = emulator_factory("--latency", "200ms")
    base, key, _ = server_factory("--provider", "fal", "--fal-queue-url", fal, "--fal-key", "test")
    response = requests.post(f"{base}/v1/generate", json=QUICKSTART, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed"
    assert body["provider"] == "fal"
    assert body["cost_usd"] == 0.014
    image = requests.get(body["output_url"], timeout=10)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"
    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert account["balance_usd"] == 9.986


def test_failed_upstream_is_refunded(emulator_factory, server_factory):
    fal = emulator_factory("--fail-rate", "1", "--fail-type", "runner_disconnected")
    base, key, _ = server_factory("--provider", "fal", "--fal-queue-url", fal, "--fal-key", "test")
    response = requests.post(f"{base}/v1/generate", json={**QUICKSTART, "num_images": 4}, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    assert response.status_code == 502
    body = response.json()
    assert body["status"] == "failed"
    assert body["refunded_usd"] == 0.056
    account = requests.get(f"{base}/v1/account", headers={"Authorization": f"Bearer {key}"}, timeout=10).json()
    assert account["balance_usd"] == 10
