"""The official `openai` Python SDK against ImageGate's OpenAI-compatible Images API."""

import base64
import io
import re
import time

import openai
import pytest
import requests

from conftest import operator, submit_async

MODEL = "seedream-5-lite"


def client_for(base: str, key: str, **kwargs) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=key, **kwargs)


def png_header_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@pytest.mark.parametrize("n", [1, 3])
def test_generate_urls(server_factory, n):
    base, key, server = server_factory()
    result = client_for(base, key).images.generate(model=MODEL, prompt="a teapot on a table", n=n, size="2048x2048")
    assert len(result.data) == n
    for image in result.data:
        download = requests.get(image.url, timeout=10)
        assert download.status_code == 200
        assert png_header_size(download.content) == (2048, 2048)
        # The link's signature is a capability: the request log shows the path, never the signature.
        signature = image.url.split("sig=")[1].split("&")[0]
        assert signature not in server.output()
        assert "sig=***" in server.output()
    assert server.output().count(key) == 1, "the key appears once, in the first-start banner, and is never logged"
    # The worker's lines carry the id of the request that queued the generation. (The worker logs "ended" just
    # after the commit the response may already have seen, hence the short wait.)
    queued = re.search(r"hb\.request\.id=(\w+).*generation queued", server.output())
    assert queued
    deadline = time.monotonic() + 5
    while not re.search(rf"hb\.request\.id={queued.group(1)}.*generation ended", server.output()):
        assert time.monotonic() < deadline, "the worker's line does not carry the request id"
        time.sleep(0.05)


def test_generate_b64_json(server_factory):
    base, key, _ = server_factory()
    result = client_for(base, key).images.generate(model=MODEL, prompt="a lighthouse", n=1, size="1024x1024", response_format="b64_json")
    data = base64.b64decode(result.data[0].b64_json)
    # 1024x1024 maps to Seedream's 1:1 at the nearest tier (2K).
    assert png_header_size(data) == (2048, 2048)


def test_edit_with_two_images(server_factory):
    base, key, _ = server_factory()
    client = client_for(base, key)
    first = base64.b64decode(client.images.generate(model=MODEL, prompt="a cat", size="1024x1024", response_format="b64_json").data[0].b64_json)
    second = base64.b64decode(client.images.generate(model=MODEL, prompt="a dog", size="1536x1024", response_format="b64_json").data[0].b64_json)
    result = client.images.edit(
        model=MODEL,
        image=[("cat.png", io.BytesIO(first), "image/png"), ("dog.png", io.BytesIO(second), "image/png")],
        prompt="the cat and the dog together",
        n=1,
        size="auto",
    )
    assert len(result.data) == 1
    assert requests.get(result.data[0].url, timeout=10).status_code == 200


def test_402_is_raised_and_not_retried(server_factory):
    base, _, server = server_factory()
    operator("accounts", "create", "poor", "--credit-usd", "0.05", data_dir=server.data_dir)
    key = operator("keys", "create", "--account", "poor", data_dir=server.data_dir)
    client = client_for(base, key, max_retries=2)
    before = server.output().count("/v1/images/generations")
    with pytest.raises(openai.APIStatusError) as raised:
        client.images.generate(model=MODEL, prompt="too expensive", n=6)
    assert raised.value.status_code == 402
    assert raised.value.code == "insufficient_balance"
    assert server.output().count("/v1/images/generations") == before + 1, "the SDK did not retry the 402"


def test_bad_size_is_a_bad_request_naming_the_param(server_factory):
    base, key, _ = server_factory()
    with pytest.raises(openai.BadRequestError) as raised:
        client_for(base, key).images.generate(model=MODEL, prompt="x", size="huge")
    assert raised.value.param == "size"
    assert raised.value.status_code == 400


def test_unknown_model_is_not_found(server_factory):
    base, key, _ = server_factory()
    with pytest.raises(openai.NotFoundError):
        client_for(base, key).images.generate(model="dall-e-9", prompt="x")


def test_openai_only_parameters_are_accepted_with_their_types_and_refused_otherwise(server_factory):
    base, key, _ = server_factory()
    client = client_for(base, key)
    result = client.images.generate(model=MODEL, prompt="a kite", quality="high", style="vivid", user="user-1", background="opaque")
    assert len(result.data) == 1
    for field, value in [("quality", 5), ("output_compression", 101), ("stream", "no")]:
        with pytest.raises(openai.BadRequestError) as raised:
            client.images.generate(model=MODEL, prompt="x", extra_body={field: value})
        assert raised.value.param == field


def test_the_sdk_waits_out_a_rate_limit_by_itself(server_factory):
    """A key's images per minute used up: the SDK gets 429 rate_limited with Retry-After, waits it out and succeeds."""
    base, key, _ = server_factory("--images-per-minute", "6")
    drain = submit_async(base, key, prompt="six foxes", num_images=6)
    assert drain.status_code == 202
    assert drain.headers["RateLimit-Limit"] == "6" and drain.headers["RateLimit-Remaining"] == "0"

    # Without retries the refusal is visible as the SDK's own RateLimitError, with the server's headers.
    with pytest.raises(openai.RateLimitError) as refused:
        client_for(base, key, max_retries=0).images.generate(model=MODEL, prompt="one fox", size="1024x1024")
    assert refused.value.code == "rate_limited"
    assert 1 <= int(refused.value.response.headers["Retry-After"]) <= 10
    assert refused.value.response.headers["RateLimit-Remaining"] == "0"

    # With its default retries the SDK honours Retry-After (one image comes back every 10 s) and gets the image.
    raw = client_for(base, key).images.with_raw_response.generate(model=MODEL, prompt="one fox", size="1024x1024")
    assert raw.retries_taken >= 1
    assert len(raw.parse().data) == 1
