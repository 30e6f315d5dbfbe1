"""LiteLLM's `fal_ai` image provider, pointed at the emulator's synchronous host (it posts to fal.run directly)."""

import litellm
import requests

from conftest import CERT


def test_litellm_generates_through_the_emulator(tls_emulator):
    response = litellm.image_generation(
        model="fal_ai/fal-ai/bytedance/seedream/v3/text-to-image",
        prompt="a red bicycle",
        api_base=tls_emulator["sync"],
        api_key="e2e-test-key",
        n=2,
        size="1024x1024",
    )
    assert len(response.data) == 2
    url = response.data[0].url
    assert url.startswith(tls_emulator["queue"] + "/files/")
    download = requests.get(url, verify=CERT, timeout=10)
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/png"


def test_litellm_reports_a_validation_error(tls_emulator):
    try:
        litellm.image_generation(
            model="fal_ai/fal-ai/bytedance/seedream/v3/text-to-image",
            prompt="tiny",
            api_base=tls_emulator["sync"],
            api_key="e2e-test-key",
            size="5x5",
        )
    except litellm.exceptions.BadRequestError as error:
        assert error.status_code == 422
    else:
        raise AssertionError("expected a 422 from the emulator")
