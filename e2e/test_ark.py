"""`imagegate ark-emulator` proven with BytePlus' official Ark runtime client (`byteplus-python-sdk-v2`), then
`imagegate serve --catalog examples/emulated-suppliers.json` with its three models routed to the Ark emulator, the fal
emulator and the OpenAI-compatible emulator, driven with the `openai` SDK: each model runs where its route says, the
books add up, and `imagegate audit` finds them clean."""

import base64
import os
import subprocess

import openai
import pytest
import requests
from byteplussdkarkruntime import Ark
from byteplussdkarkruntime._exceptions import ArkAuthenticationError, ArkBadRequestError, ArkInternalServerError
from byteplussdkarkruntime.types.images import SequentialImageGenerationOptions

from conftest import BINARY, ROOT, micros, png_size

EXAMPLE = os.path.join(ROOT, "examples", "emulated-suppliers.json")
LITE = "seedream-5-0-260128"


def test_the_official_client_generates_reads_urls_and_base64(ark_factory):
    base, stats = ark_factory()
    client = Ark(base_url=base, api_key="ark-e2e")
    answer = client.images.generate(model=LITE, prompt="a lighthouse at dusk", size="2848x1600", response_format="url",
                                    watermark=False, output_format="png")
    assert answer.model == LITE and len(answer.data) == 1
    assert answer.data[0].size == "2848x1600"
    assert png_size(requests.get(answer.data[0].url, timeout=10).content) == (2848, 1600)
    assert answer.usage.generated_images == 1

    inline = client.images.generate(model=LITE, prompt="a lighthouse, inline", size="2K", response_format="b64_json",
                                    output_format="png")
    assert png_size(base64.b64decode(inline.data[0].b64_json)) == (2048, 2048)
    assert stats()["imagesBilled"] == 2


def test_sequential_generation_with_references_may_deliver_fewer_images_each_failure_said(ark_factory):
    clean, _ = ark_factory()
    reference = "data:image/png;base64," + base64.b64encode(requests.get(Ark(base_url=clean, api_key="ark-e2e").images.generate(
        model=LITE, prompt="a reference", size="2K", output_format="png").data[0].url, timeout=10).content).decode()
    base, stats = ark_factory("--image-failure-rate", "0.5", "--seed", "3")
    client = Ark(base_url=base, api_key="ark-e2e")
    answer = client.images.generate(model=LITE, prompt="a four-panel story", image=[reference], size="2K",
                                    sequential_image_generation="auto",
                                    sequential_image_generation_options=SequentialImageGenerationOptions(max_images=6))
    delivered = [item for item in answer.data if item.url]
    failed = [item for item in answer.data if getattr(item, "error", None)]
    assert len(answer.data) == 6 and len(delivered) + len(failed) == 6 and failed, answer
    assert answer.usage.generated_images == len(delivered)
    assert stats()["referenceDataURIs"] == 1


def test_each_error_comes_as_arks_body_and_the_client_raises_its_own_exception(ark_factory):
    policy, _ = ark_factory("--fail-rate", "1", "--fail-type", "content_policy")
    with pytest.raises(ArkBadRequestError) as refused:
        Ark(base_url=policy, api_key="k", max_retries=0).images.generate(model=LITE, prompt="x")
    assert refused.value.code == "InputTextSensitiveContentDetected" and refused.value.type == "BadRequest"

    guarded, _ = ark_factory("--key", "right")
    with pytest.raises(ArkAuthenticationError) as unauthorised:
        Ark(base_url=guarded, api_key="wrong", max_retries=0).images.generate(model=LITE, prompt="x")
    assert unauthorised.value.code == "AuthenticationError"

    with pytest.raises(ArkBadRequestError) as small:
        Ark(base_url=guarded, api_key="right", max_retries=0).images.generate(model=LITE, prompt="x", size="1024x1024")
    assert small.value.code == "InvalidParameter" and small.value.param == "size"
    with pytest.raises(ArkBadRequestError) as upper:
        Ark(base_url=guarded, api_key="right", max_retries=0).images.generate(model=LITE, prompt="x", image="data:image/PNG;base64,AAAA")
    assert upper.value.param == "image", "Ark wants the data URI's format in lowercase"

    lost, stats = ark_factory("--lost-answer-rate", "1")
    with pytest.raises(ArkInternalServerError):
        Ark(base_url=lost, api_key="k", max_retries=0).images.generate(model=LITE, prompt="lost after the work")
    assert stats()["answersLost"] == 1 and stats()["imagesBilled"] == 1, "the work ran and was billed"


def test_a_429_burst_carries_retry_after_and_the_client_gets_through(ark_factory):
    base, stats = ark_factory("--rate-limit-first", "2", "--retry-after", "0")
    burst = requests.post(f"{base}/images/generations", json={"model": LITE, "prompt": "x"}, headers={"Authorization": "Bearer k"}, timeout=10)
    assert burst.status_code == 429 and burst.headers["Retry-After"] == "0"
    assert burst.json()["error"]["code"] == "RequestBurstTooFast" and "Request id" in burst.json()["error"]["message"]
    answer = Ark(base_url=base, api_key="k", max_retries=2).images.generate(model=LITE, prompt="after the burst")
    assert len(answer.data) == 1
    assert stats()["rateLimited"] == 2 and stats()["accepted"] == 1


def test_serve_runs_each_model_on_its_route_and_the_books_are_clean(server_factory, ark_factory, emulator_factory):
    ark, ark_stats = ark_factory()
    fal = emulator_factory()
    openai_base, openai_stats = ark_factory(command="openai-emulator")
    base, key, server = server_factory("--catalog", EXAMPLE, env={
        "ARK_API_KEY": "ark-e2e", "IMAGEGATE_ARK_URL": ark, "FAL_KEY": "fal-e2e", "IMAGEGATE_FAL_URL": fal,
        "OPENAI_API_KEY": "openai-e2e", "IMAGEGATE_OPENAI_URL": openai_base,
    })
    output = server.output()
    assert "runs_on=ark (seedream-5-0-260128)" in output and "runs_on=openai (seedream-4)" in output, output
    assert "ark-e2e" not in output and "fal-e2e" not in output and "openai-e2e" not in output, output
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=key)
    result = client.images.generate(model="seedream-5-lite", prompt="a red bicycle on a bridge", n=3, size="2848x1600")
    assert len(result.data) == 3
    for image in result.data:
        assert png_size(requests.get(image.url, timeout=10).content) == (2848, 1600), "mirrored into ImageGate's store"
    assert ark_stats()["imagesBilled"] == 3 and ark_stats()["requestsReceived"] == 1

    headers = {"Authorization": f"Bearer {key}"}
    for model, provider in [("seedream-5-lite", "ark"), ("seedream-4.5", "fal"), ("seedream-4", "openai")]:
        answer = requests.post(f"{base}/v1/generate", headers=headers, timeout=120,
                               json={"model": model, "prompt": f"a kite ({model})", "aspect_ratio": "1:1"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["provider"] == provider and answer.json()["status"] == "completed", answer.text
    assert openai_stats()["imagesBilled"] == 1 and openai_stats()["protocol"] == "openai"
    models = requests.get(f"{base}/v1/models", timeout=10).json()["data"]
    assert [m["id"] for m in models] == ["seedream-5-lite", "seedream-4.5", "seedream-4"]

    account = requests.get(f"{base}/v1/account", headers=headers, timeout=10).json()
    spent = 3 * 14_000 + 14_000 + 40_000 + 30_000
    assert micros(account["held_usd"]) == 0
    server.stop()
    clean = subprocess.run([BINARY, "audit", "--blobs", "--data-dir", server.data_dir], capture_output=True, text=True, timeout=120)
    assert clean.returncode == 0 and "audit: clean" in clean.stdout, clean.stdout + clean.stderr
    assert spent == 10_000_000 - micros(account["balance_usd"]), account
