"""`imagegate openai-emulator` proven with the official `openai` SDK: generations (url and b64_json), edits with
files, OpenAI's error envelope for each failure, and a 429 burst the SDK waits out by itself."""

import base64
import io

import openai
import pytest
import requests

from conftest import png_size

MODEL = "seedream-4"


def client(base: str, key: str = "k", **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=base, api_key=key, **kwargs)


def test_generations_answer_urls_or_base64_and_edits_take_files(ark_factory):
    base, stats = ark_factory(command="openai-emulator")
    made = client(base).images.generate(model=MODEL, prompt="a kite", n=2, size="2048x2048", response_format="url")
    assert len(made.data) == 2
    assert png_size(requests.get(made.data[0].url, timeout=10).content) == (2048, 2048)
    inline = client(base).images.generate(model=MODEL, prompt="a kite, inline", size="1312x736", response_format="b64_json")
    picture = base64.b64decode(inline.data[0].b64_json)
    assert png_size(picture) == (1312, 736)
    edited = client(base).images.edit(model=MODEL, prompt="the kite in red", image=[("kite.png", io.BytesIO(picture), "image/png")],
                                      size="2048x2048", response_format="b64_json")
    assert png_size(base64.b64decode(edited.data[0].b64_json)) == (2048, 2048)
    counters = stats()
    assert counters["protocol"] == "openai" and counters["imagesBilled"] == 4 and counters["referenceDataURIs"] == 1


def test_each_failure_comes_in_openais_envelope(ark_factory):
    refusing, _ = ark_factory("--fail-rate", "1", "--fail-type", "content_policy", command="openai-emulator")
    with pytest.raises(openai.BadRequestError) as refused:
        client(refusing, max_retries=0).images.generate(model=MODEL, prompt="x")
    assert refused.value.code == "moderation_blocked"

    guarded, _ = ark_factory("--key", "right", command="openai-emulator")
    with pytest.raises(openai.AuthenticationError):
        client(guarded, key="wrong", max_retries=0).images.generate(model=MODEL, prompt="x")
    with pytest.raises(openai.BadRequestError) as bad:
        client(guarded, key="right", max_retries=0).images.generate(model=MODEL, prompt="x", n=11)
    assert bad.value.param == "n"

    lost, stats = ark_factory("--lost-answer-rate", "1", command="openai-emulator")
    with pytest.raises(openai.InternalServerError):
        client(lost, max_retries=0).images.generate(model=MODEL, prompt="lost after the work")
    assert stats()["answersLost"] == 1 and stats()["imagesBilled"] == 1, "the work ran and was billed"


def test_the_sdk_waits_out_a_429_burst(ark_factory):
    base, stats = ark_factory("--rate-limit-first", "2", "--retry-after", "0", command="openai-emulator")
    made = client(base, max_retries=2).images.generate(model=MODEL, prompt="after the burst")
    assert len(made.data) == 1
    assert stats()["rateLimited"] == 2 and stats()["accepted"] == 1
